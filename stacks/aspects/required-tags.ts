import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { list, nested, type Config, type ProviderBlock, type StackSnapshot } from "./stack-snapshot";
import { reportViolation, StackAspect, type SnapshotSource } from "./stack-aspect";

/** Tags every resource of a cell carries, from its provider's default tags. */
export const CELL_REQUIRED_TAGS = ["project", "cell", "region"] as const;
/** Tags every resource of the global stack carries, from its provider's default tags. */
export const GLOBAL_REQUIRED_TAGS = ["project", "stack", "region"] as const;

/**
 * Every taggable resource carries the required tags, and they come from one place: the stack's
 * AWS provider `default_tags`. A provider lacking one (or leaving it blank) fails, and so does a
 * resource whose own `tags` blank or change a required tag.
 */
export class RequiredTagsAspect extends StackAspect {
  constructor(
    private readonly requiredTags: readonly string[],
    snapshots?: SnapshotSource,
  ) {
    super(snapshots);
  }

  protected check(snapshot: StackSnapshot): void {
    const providers = snapshot.providers.filter((provider) => provider.type === AwsProvider.tfResourceType);
    if (providers.length === 0) {
      reportViolation(snapshot.stack, `stack has no AWS provider to give its resources the required tags ${this.required()} (add an AwsProvider with defaultTags)`);
      return;
    }
    for (const provider of providers) {
      const defaults = defaultTags(provider);
      const missing = this.requiredTags.filter((key) => !isSet(defaults[key]));
      if (missing.length > 0) {
        reportViolation(
          provider.construct,
          `AWS provider's default_tags lack required tags ${missing.map((key) => `"${key}"`).join(", ")} (set them in AwsProvider defaultTags: ${this.required()})`,
        );
      }
    }

    for (const block of snapshot.resources.filter((resource) => resource.type.startsWith("aws_"))) {
      const tags = block.config["tags"];
      if (tags === null || typeof tags !== "object") continue;
      const alias = typeof block.config["provider"] === "string" ? block.config["provider"].split(".")[1] : undefined;
      const provider = providers.find((candidate) => candidate.alias === alias);
      const defaults = provider ? defaultTags(provider) : {};
      for (const key of this.requiredTags) {
        if (!Object.hasOwn(tags, key)) continue;
        const value = (tags as Config)[key];
        if (!isSet(value)) {
          reportViolation(block.construct, `tags blank the required tag "${key}" (leave required tags to the provider's default_tags)`);
        } else if (isSet(defaults[key]) && value !== defaults[key]) {
          reportViolation(
            block.construct,
            `tags override the required tag "${key}" with "${String(value)}" instead of the provider's "${String(defaults[key])}" (leave required tags to the provider's default_tags)`,
          );
        }
      }
    }
  }

  private required(): string {
    return this.requiredTags.join(", ");
  }
}

function defaultTags(provider: ProviderBlock): Config {
  return Object.assign({}, ...list(provider.config["default_tags"]).map((block) => nested(block)?.["tags"] ?? {})) as Config;
}

function isSet(value: unknown): boolean {
  return typeof value === "string" ? value.trim() !== "" : value !== undefined && value !== null;
}

import { AssetType, TerraformAsset } from "cdktf";
import { Construct } from "constructs";

/** A Lambda deployment package built once per synth (see `functions/bundle.ts`). */
export interface FunctionBundle {
  /** Absolute path of the zip. */
  readonly zipPath: string;
  /** Base64 SHA-256 of the zip, as Lambda reports `CodeSha256`. */
  readonly sha256: string;
  /** Handler in the zip, e.g. `index.handler`. */
  readonly handler: string;
}

/**
 * A bundle copied into a stack's assets as a plain file (no per-stack archiving), so every
 * cell deploys byte-identical code and a code change is a content change.
 */
export class FunctionCode extends Construct {
  readonly path: string;
  readonly sha256: string;
  readonly handler: string;

  constructor(scope: Construct, id: string, bundle: FunctionBundle) {
    super(scope, id);
    const asset = new TerraformAsset(this, "asset", { path: bundle.zipPath, type: AssetType.FILE });
    this.path = asset.path;
    this.sha256 = bundle.sha256;
    this.handler = bundle.handler;
  }
}

import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { Construct } from "constructs";
import type { CellKey } from "./cell-key";
import type { EncryptedQueue } from "./encrypted-queue";
import type { FunctionCode } from "./function-code";
import { ServiceRole } from "./service-role";

/** The Lambda runtime every function in the fleet runs on. */
export const NODE_RUNTIME = "nodejs24.x";

/** EMF namespace of every function's metrics (Powertools). */
export const METRICS_NAMESPACE = "cellfleet";

export interface CellFunctionProps {
  readonly functionName: string;
  readonly roleName: string;
  readonly logGroupName: string;
  readonly description: string;
  readonly code: FunctionCode;
  /** Powertools service name: the `service` dimension of its metrics, the logger's service. */
  readonly serviceName: string;
  readonly environment: Record<string, string>;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Encrypts the log group and the function's environment. */
  readonly key: CellKey;
  readonly logRetentionDays: number;
  /** Concurrency reserved for (and capped at) this function. */
  readonly reservedConcurrency: number;
  /** Where an asynchronous invocation that failed every retry goes (standard queue). */
  readonly asyncDeadLetterQueue: EncryptedQueue;
}

/**
 * A Lambda function as every function in a cell is: arm64 on the current Node.js runtime, X-Ray
 * active, JSON logs into its own encrypted log group with retention, and a role of its own that
 * holds only what constructs grant it (plus writing its logs and traces).
 */
export class CellFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: ServiceRole;
  readonly logGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: CellFunctionProps) {
    super(scope, id);
    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: props.logGroupName,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.key.arn,
    });
    this.role = new ServiceRole(this, "role", {
      roleName: props.roleName,
      service: "lambda.amazonaws.com",
      description: `${props.functionName}: ${props.description}`,
    });
    this.role.addToPolicy({ actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${this.logGroup.arn}:*`] });
    this.role.addToPolicy({
      // X-Ray has no resource-level permissions: "*" is the only resource it accepts.
      actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
      resources: ["*"],
    });
    props.asyncDeadLetterQueue.grantSendMessages(this.role);
    this.function = new LambdaFunction(this, "function", {
      functionName: props.functionName,
      description: props.description,
      role: this.role.arn,
      runtime: NODE_RUNTIME,
      architectures: ["arm64"],
      handler: props.code.handler,
      filename: props.code.path,
      sourceCodeHash: props.code.sha256,
      memorySize: props.memoryMb,
      timeout: props.timeoutSeconds,
      reservedConcurrentExecutions: props.reservedConcurrency,
      kmsKeyArn: props.key.arn,
      deadLetterConfig: { targetArn: props.asyncDeadLetterQueue.arn },
      tracingConfig: { mode: "Active" },
      loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name, applicationLogLevel: "INFO", systemLogLevel: "WARN" },
      environment: {
        variables: {
          POWERTOOLS_SERVICE_NAME: props.serviceName,
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          ...props.environment,
        },
      },
      dependsOn: [this.logGroup, this.role.grants],
    });
  }

  get arn(): string {
    return (this.cachedArn ??= this.function.arn);
  }
  private cachedArn?: string;

  get name(): string {
    return this.function.functionName;
  }
}

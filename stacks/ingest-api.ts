import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayMethodSettings } from "@cdktf/provider-aws/lib/api-gateway-method-settings";
import { ApiGatewayModel } from "@cdktf/provider-aws/lib/api-gateway-model";
import { ApiGatewayRequestValidator } from "@cdktf/provider-aws/lib/api-gateway-request-validator";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import { ApiGatewayIntegrationResponse } from "@cdktf/provider-aws/lib/api-gateway-integration-response";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayMethodResponse } from "@cdktf/provider-aws/lib/api-gateway-method-response";
import { ApiGatewayResource } from "@cdktf/provider-aws/lib/api-gateway-resource";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import { createHash } from "node:crypto";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { AccountRef } from "../cells/naming";
import type { CellKey } from "./cell-key";
import type { EventRouter } from "./event-router";
import { JsonGatewayResponses } from "./gateway-responses";
import {
  HEALTH_REQUEST_TEMPLATE,
  PUT_EVENTS_HEADERS,
  healthResponseTemplate,
  putEventsErrorTemplate,
  putEventsRequestTemplate,
  putEventsResponseTemplate,
} from "./ingest-templates";
import { ServiceRole } from "./service-role";

const JSON_TYPE = "application/json";

/**
 * Access log line: who called what, how it went and how long it took. No bodies and no keys
 * (`apiKeyId` is the key's id, not its value).
 */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  extendedRequestId: "$context.extendedRequestId",
  requestTime: "$context.requestTimeEpoch",
  ip: "$context.identity.sourceIp",
  userAgent: "$context.identity.userAgent",
  apiKeyId: "$context.identity.apiKeyId",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  status: "$context.status",
  responseLength: "$context.responseLength",
  responseLatency: "$context.responseLatency",
  integrationStatus: "$context.integration.status",
  integrationLatency: "$context.integration.latency",
  errorType: "$context.error.responseType",
  errorMessage: "$context.error.message",
  wafStatus: "$context.waf.status",
  xrayTraceId: "$context.xrayTraceId",
});

/** Name of the request model (API Gateway model names are alphanumeric). */
export const REQUEST_MODEL_NAME = "InvoiceEvent";

export interface IngestApiProps {
  readonly cellId: string;
  readonly region: string;
  readonly account: AccountRef;
  /** Physical names (from `cells/naming.ts`). */
  readonly apiName: string;
  readonly roleName: string;
  readonly stages: readonly string[];
  /** Events go onto this router's bus; the API's role may put events there and nowhere else. */
  readonly router: EventRouter;
  /** API Gateway stage name. */
  readonly stageName: string;
  /** JSON Schema (draft 4) every ingest body must satisfy. */
  readonly requestModel: Record<string, unknown>;
  /** Stage-wide throttling, sized from the cell's share of the fleet's peak. */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Access log group name; execution logs go to the group API Gateway names itself. */
  readonly accessLogGroupName: string;
  readonly executionLogGroupName: (apiId: string, stageName: string) => string;
  readonly logRetentionDays: number;
  /** Encrypts the API's log groups. */
  readonly key: CellKey;
}

/**
 * The cell's front door: a regional REST API with `POST /invoices/{stage}` per stage, each a
 * direct EventBridge `PutEvents` integration (no Lambda on the ingest path) that stamps
 * `detail.meta`, and `GET /health` for the router's health checks.
 */
export class IngestApi extends Construct {
  readonly api: ApiGatewayRestApi;
  readonly stage: ApiGatewayStage;
  readonly role: ServiceRole;
  private readonly model: ApiGatewayModel;
  private readonly validator: ApiGatewayRequestValidator;
  /** Everything a deployment must include; a change to any of it redeploys. */
  private readonly deployed: (ITerraformDependable & { readonly fqn: string })[] = [];
  private readonly deploymentFingerprint: unknown[] = [];

  constructor(scope: Construct, id: string, private readonly props: IngestApiProps) {
    super(scope, id);
    if (props.stages.length === 0) throw new Error(`IngestApi ${this.node.path}: stages must not be empty`);
    if (props.throttle.rateLimit <= 0 || props.throttle.burstLimit < 1) {
      throw new Error(`IngestApi ${this.node.path}: throttle needs a positive rateLimit and burstLimit`);
    }

    this.api = new ApiGatewayRestApi(this, "api", {
      name: props.apiName,
      description: `Invoice ingest for cell ${props.cellId}`,
      endpointConfiguration: { types: ["REGIONAL"] },
      lifecycle: { createBeforeDestroy: true },
    });
    this.role = new ServiceRole(this, "role", {
      roleName: props.roleName,
      service: "apigateway.amazonaws.com",
      description: `${props.apiName}: put ingested invoice events on the cell bus`,
      trustConditions: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [props.account.account] }],
    });
    props.router.grantPutEvents(this.role);

    this.model = new ApiGatewayModel(this, "model", {
      restApiId: this.api.id,
      name: REQUEST_MODEL_NAME,
      description: "An invoice event (generated from the consumers' zod schema)",
      contentType: JSON_TYPE,
      schema: JSON.stringify(props.requestModel),
    });
    this.validator = new ApiGatewayRequestValidator(this, "validator", {
      restApiId: this.api.id,
      name: "body",
      validateRequestBody: true,
      validateRequestParameters: false,
    });
    const responses = new JsonGatewayResponses(this, "gateway-responses", { restApiId: this.api.id });
    this.deployed.push(this.model, this.validator, ...responses.responses);
    this.deploymentFingerprint.push({ model: props.requestModel, gatewayResponses: responses.fingerprint });

    const invoices = new ApiGatewayResource(this, "invoices", {
      restApiId: this.api.id,
      parentId: this.api.rootResourceId,
      pathPart: "invoices",
    });
    for (const stage of props.stages) this.addStageRoute(invoices, stage);
    this.addHealth();

    const deployment = new ApiGatewayDeployment(this, "deployment", {
      restApiId: this.api.id,
      triggers: { redeployment: createHash("sha256").update(JSON.stringify(this.deploymentFingerprint)).digest("hex") },
      lifecycle: { createBeforeDestroy: true },
      dependsOn: this.deployed,
    });

    // Created before the stage so that we, not API Gateway, own retention and encryption.
    const executionLogs = new CloudwatchLogGroup(this, "execution-logs", {
      name: props.executionLogGroupName(this.api.id, props.stageName),
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.key.arn,
    });
    const accessLogs = new CloudwatchLogGroup(this, "access-logs", {
      name: props.accessLogGroupName,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.key.arn,
    });
    this.stage = new ApiGatewayStage(this, "stage", {
      restApiId: this.api.id,
      deploymentId: deployment.id,
      stageName: props.stageName,
      xrayTracingEnabled: true,
      accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
      dependsOn: [executionLogs],
    });
    new ApiGatewayMethodSettings(this, "method-settings", {
      restApiId: this.api.id,
      stageName: this.stage.stageName,
      methodPath: "*/*",
      settings: {
        metricsEnabled: true,
        loggingLevel: "ERROR",
        dataTraceEnabled: false,
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
      },
    });
  }

  /** The stage's ARN, for the web ACL association. */
  get stageArn(): string {
    return this.stage.arn;
  }

  /** The stage's invoke URL, e.g. `https://abc.execute-api.us-east-1.amazonaws.com/v1`. */
  get url(): string {
    return this.stage.invokeUrl;
  }

  private addStageRoute(parent: ApiGatewayResource, stage: string): void {
    const resource = new ApiGatewayResource(this, `stage-${stage}`, {
      restApiId: this.api.id,
      parentId: parent.id,
      pathPart: stage,
    });
    const method = new ApiGatewayMethod(this, `post-${stage}`, {
      restApiId: this.api.id,
      resourceId: resource.id,
      httpMethod: "POST",
      authorization: "NONE",
      apiKeyRequired: true,
      requestValidatorId: this.validator.id,
      requestModels: { [JSON_TYPE]: this.model.name },
    });
    const requestTemplate = putEventsRequestTemplate({ cell: this.props.cellId, stage, busName: this.props.router.busName });
    const integration = new ApiGatewayIntegration(this, `put-events-${stage}`, {
      restApiId: this.api.id,
      resourceId: resource.id,
      httpMethod: method.httpMethod,
      type: "AWS",
      integrationHttpMethod: "POST",
      uri: `arn:${this.props.account.partition}:apigateway:${this.props.region}:events:action/PutEvents`,
      credentials: this.role.arn,
      requestParameters: PUT_EVENTS_HEADERS,
      // Only JSON is mapped; any other content type is refused, never passed through raw.
      passthroughBehavior: "NEVER",
      requestTemplates: { [JSON_TYPE]: requestTemplate },
      timeoutMilliseconds: 5000,
    });

    const responses: [status: string, selectionPattern: string | undefined, template: string][] = [
      ["202", undefined, putEventsResponseTemplate()],
      ["500", "4\\d{2}", putEventsErrorTemplate()],
      ["503", "5\\d{2}", putEventsErrorTemplate()],
    ];
    // Statuses the templates may switch to with responseOverride.
    for (const status of ["202", "429", "500", "503"]) {
      new ApiGatewayMethodResponse(this, `post-${stage}-${status}`, {
        restApiId: this.api.id,
        resourceId: resource.id,
        httpMethod: method.httpMethod,
        statusCode: status,
        responseParameters: status === "429" || status === "503" ? { "method.response.header.Retry-After": false } : undefined,
      });
    }
    for (const [status, selectionPattern, template] of responses) {
      const response = new ApiGatewayIntegrationResponse(this, `put-events-${stage}-${status}`, {
        restApiId: this.api.id,
        resourceId: resource.id,
        httpMethod: method.httpMethod,
        statusCode: status,
        selectionPattern,
        responseTemplates: { [JSON_TYPE]: template },
        dependsOn: [integration],
      });
      this.deployed.push(response);
    }
    this.deployed.push(method, integration);
    this.deploymentFingerprint.push({ stage, requestTemplate, responses });
  }

  private addHealth(): void {
    const resource = new ApiGatewayResource(this, "health", {
      restApiId: this.api.id,
      parentId: this.api.rootResourceId,
      pathPart: "health",
    });
    const method = new ApiGatewayMethod(this, "get-health", {
      restApiId: this.api.id,
      resourceId: resource.id,
      httpMethod: "GET",
      authorization: "NONE",
      // No body to validate; the validator keeps every method under one policy.
      requestValidatorId: this.validator.id,
    });
    const integration = new ApiGatewayIntegration(this, "health-mock", {
      restApiId: this.api.id,
      resourceId: resource.id,
      httpMethod: method.httpMethod,
      type: "MOCK",
      requestTemplates: { [JSON_TYPE]: HEALTH_REQUEST_TEMPLATE },
    });
    new ApiGatewayMethodResponse(this, "get-health-200", {
      restApiId: this.api.id,
      resourceId: resource.id,
      httpMethod: method.httpMethod,
      statusCode: "200",
    });
    const responseTemplate = healthResponseTemplate(this.props.cellId, this.props.region);
    const response = new ApiGatewayIntegrationResponse(this, "health-mock-200", {
      restApiId: this.api.id,
      resourceId: resource.id,
      httpMethod: method.httpMethod,
      statusCode: "200",
      responseTemplates: { [JSON_TYPE]: responseTemplate },
      dependsOn: [integration],
    });
    this.deployed.push(method, integration, response);
    this.deploymentFingerprint.push({ health: responseTemplate });
  }
}

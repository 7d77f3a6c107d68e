import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
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
import type { EventRouter } from "./event-router";
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
  /** API Gateway stage name. @default "v1" */
  readonly stageName?: string;
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
  /** Everything a deployment must include; a change to any of it redeploys. */
  private readonly deployed: (ITerraformDependable & { readonly fqn: string })[] = [];
  private readonly deploymentFingerprint: unknown[] = [];

  constructor(scope: Construct, id: string, private readonly props: IngestApiProps) {
    super(scope, id);
    if (props.stages.length === 0) throw new Error(`IngestApi ${this.node.path}: stages must not be empty`);

    this.api = new ApiGatewayRestApi(this, "api", {
      name: props.apiName,
      description: `Invoice ingest for cell ${props.cellId}`,
      endpointConfiguration: { types: ["REGIONAL"] },
    });
    this.role = new ServiceRole(this, "role", {
      roleName: props.roleName,
      service: "apigateway.amazonaws.com",
      description: `${props.apiName}: put ingested invoice events on the cell bus`,
      trustConditions: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [props.account.account] }],
    });
    props.router.grantPutEvents(this.role);

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
    this.stage = new ApiGatewayStage(this, "stage", {
      restApiId: this.api.id,
      deploymentId: deployment.id,
      stageName: props.stageName ?? "v1",
      xrayTracingEnabled: true,
    });
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
      // Callers sign with SigV4 until the API-edge work adds API keys and usage plans.
      authorization: "AWS_IAM",
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

import { ApiGatewayGatewayResponse } from "@cdktf/provider-aws/lib/api-gateway-gateway-response";
import { Construct } from "constructs";

/**
 * What API Gateway answers when it refuses a request itself, as JSON with the request id.
 * Gateway response templates are not Velocity: only `$context` substitution. `messageString`
 * arrives already quoted; `validationErrorString` names the offending field(s).
 */
export const GATEWAY_RESPONSES: Readonly<Record<string, { status: string; message?: string; details?: boolean; retryAfter?: boolean }>> = {
  BAD_REQUEST_BODY: { status: "400", details: true },
  BAD_REQUEST_PARAMETERS: { status: "400", details: true },
  UNSUPPORTED_MEDIA_TYPE: { status: "415", message: "content type must be application/json" },
  // API Gateway reports an unknown path as a missing token (403); for clients it is a 404.
  MISSING_AUTHENTICATION_TOKEN: { status: "404", message: "no such route: POST /invoices/<stage> with a known stage, or GET /health" },
  INVALID_API_KEY: { status: "403" },
  ACCESS_DENIED: { status: "403" },
  WAF_FILTERED: { status: "403", message: "request blocked by the firewall" },
  REQUEST_TOO_LARGE: { status: "413" },
  THROTTLED: { status: "429", retryAfter: true },
  QUOTA_EXCEEDED: { status: "429", retryAfter: true },
  INTEGRATION_FAILURE: { status: "502" },
  INTEGRATION_TIMEOUT: { status: "504" },
  DEFAULT_4XX: { status: "" },
  DEFAULT_5XX: { status: "" },
};

/** The JSON body of one gateway response. */
export function gatewayResponseTemplate(type: string): string {
  const spec = GATEWAY_RESPONSES[type];
  if (!spec) throw new Error(`gatewayResponseTemplate: unknown response type "${type}"`);
  const message = spec.message === undefined ? "$context.error.messageString" : JSON.stringify(spec.message);
  const details = spec.details ? ',"details":"$context.error.validationErrorString"' : "";
  return `{"message":${message}${details},"type":"$context.error.responseType","requestId":"$context.requestId"}`;
}

/** Seconds a throttled client should wait before retrying. */
export const RETRY_AFTER_SECONDS = 1;

/** Every gateway response of a REST API answered as JSON (see {@link GATEWAY_RESPONSES}). */
export class JsonGatewayResponses extends Construct {
  readonly responses: ApiGatewayGatewayResponse[];
  /** What the responses are, for the API's redeployment trigger. */
  readonly fingerprint = Object.keys(GATEWAY_RESPONSES).map((type) => [type, GATEWAY_RESPONSES[type], gatewayResponseTemplate(type)]);

  constructor(scope: Construct, id: string, props: { readonly restApiId: string }) {
    super(scope, id);
    this.responses = Object.entries(GATEWAY_RESPONSES).map(
      ([type, spec]) =>
        new ApiGatewayGatewayResponse(this, type.toLowerCase(), {
          restApiId: props.restApiId,
          responseType: type,
          statusCode: spec.status || undefined,
          responseTemplates: { "application/json": gatewayResponseTemplate(type) },
          responseParameters: spec.retryAfter
            ? { "gatewayresponse.header.Retry-After": `'${RETRY_AFTER_SECONDS}'` }
            : undefined,
        }),
    );
  }
}

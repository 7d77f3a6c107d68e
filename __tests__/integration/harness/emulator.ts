/**
 * AWS SDK v3 clients pointed at the moto server (one per service and region, fake
 * credentials), and moto's own API: reset, and the model dump that shows what Timestream holds.
 */
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { TimestreamWriteClient } from "@aws-sdk/client-timestream-write";

/** moto's default account: every ARN the emulator makes carries it. */
export const EMULATOR_ACCOUNT = "123456789012";
export const EMULATOR_PARTITION = "aws";

const CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" };

export class Emulator {
  readonly #clients = new Map<string, unknown>();

  constructor(readonly endpoint: string) {}

  events(region: string): EventBridgeClient {
    return this.#client("events", region, () => new EventBridgeClient(this.clientConfig(region)));
  }

  sqs(region: string): SQSClient {
    return this.#client("sqs", region, () => new SQSClient(this.clientConfig(region)));
  }

  sns(region: string): SNSClient {
    return this.#client("sns", region, () => new SNSClient(this.clientConfig(region)));
  }

  /** With an explicit endpoint, so the client does no endpoint discovery (as in handler.ts). */
  timestreamWrite(region: string): TimestreamWriteClient {
    return this.#client("timestream-write", region, () => new TimestreamWriteClient(this.clientConfig(region)));
  }

  clientConfig(region: string) {
    return { region, endpoint: this.endpoint, credentials: CREDENTIALS, maxAttempts: 2 };
  }

  /** Forgets every resource in every region and account. */
  async reset(): Promise<void> {
    const response = await fetch(`${this.endpoint}/moto-api/reset`, { method: "POST" });
    if (!response.ok) throw new Error(`moto reset answered ${response.status}`);
  }

  /** moto's dump of its model instances (`/moto-api/data.json`), by service and model name. */
  async modelData(): Promise<Record<string, Record<string, Record<string, unknown>[]>>> {
    const response = await fetch(`${this.endpoint}/moto-api/data.json`);
    if (!response.ok) throw new Error(`moto data.json answered ${response.status}`);
    return (await response.json()) as Record<string, Record<string, Record<string, unknown>[]>>;
  }

  #client<T>(service: string, region: string, create: () => T): T {
    const key = `${service}/${region}`;
    let client = this.#clients.get(key) as T | undefined;
    if (client === undefined) {
      client = create();
      this.#clients.set(key, client);
    }
    return client;
  }
}

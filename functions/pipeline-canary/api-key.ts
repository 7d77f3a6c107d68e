import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

/** The canary's API key could not be read: a configuration or permission problem. */
export class ApiKeyUnavailableError extends Error {
  override readonly name = "ApiKeyUnavailableError";
  /** Secrets Manager's error name, e.g. `ResourceNotFoundException`, or `EmptySecret`. */
  readonly errorName: string;
  constructor(errorName: string, cause?: unknown) {
    super(`the API key secret cannot be read: ${errorName}`, { cause });
    this.errorName = errorName;
  }
}

/**
 * The API key from its secret, read once per container and kept; `refresh` reads it again
 * (after a 403, the key may have been rotated since the container read it). A failed read is
 * not kept, so the next run tries again.
 */
export class ApiKeySource {
  readonly #client: SecretsManagerClient;
  readonly #secretId: string;
  #key: Promise<string> | undefined;

  constructor(client: SecretsManagerClient, secretId: string) {
    this.#client = client;
    this.#secretId = secretId;
  }

  get(): Promise<string> {
    if (this.#key === undefined) {
      const read = this.#read();
      this.#key = read;
      read.catch(() => {
        if (this.#key === read) this.#key = undefined;
      });
    }
    return this.#key;
  }

  refresh(): Promise<string> {
    this.#key = undefined;
    return this.get();
  }

  async #read(): Promise<string> {
    let answer;
    try {
      answer = await this.#client.send(new GetSecretValueCommand({ SecretId: this.#secretId }));
    } catch (error) {
      throw new ApiKeyUnavailableError(error instanceof Error ? error.name : "UnknownError", error);
    }
    const key = answer.SecretString;
    if (key === undefined || key.length === 0) throw new ApiKeyUnavailableError("EmptySecret");
    return key;
  }
}

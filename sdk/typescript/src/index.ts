/**
 * SynapScale's typed API client: the generated `paths`/`components` types (schema.d.ts, from
 * /api/schema/) driven by openapi-fetch, with the token, the workspace and problem errors.
 */
import createClient, { type Client, type Middleware } from "openapi-fetch";

import type { components, operations, paths } from "./schema";

export type { components, operations, paths };
export type Schemas = components["schemas"];
/** Every error the API answers: RFC 9457 problem details, `errors` by field path. */
export type Problem = Schemas["Problem"];

export interface ClientOptions {
  /** Where the API lives, e.g. "https://synapscale.example.com". */
  baseUrl: string;
  /** A personal access token, sent as `Authorization: Token <token>`. */
  token?: string;
  /** The slug of the workspace to act in (`X-Workspace`); your personal one otherwise. */
  workspace?: string;
  fetch?: typeof globalThis.fetch;
}

export type SynapScaleClient = Client<paths>;

export function createSynapScaleClient(options: ClientOptions): SynapScaleClient {
  const client = createClient<paths>({ baseUrl: options.baseUrl, fetch: options.fetch });
  const identify: Middleware = {
    onRequest({ request }) {
      if (options.token) request.headers.set("Authorization", `Token ${options.token}`);
      if (options.workspace) request.headers.set("X-Workspace", options.workspace);
      return request;
    },
  };
  client.use(identify);
  return client;
}

/** A problem response raised as an exception, with its `type`, `status` and field errors. */
export class ProblemError extends Error {
  readonly problem: Problem;
  readonly status: number;
  readonly retryAfterSeconds: number | null;

  constructor(problem: Problem, response: Response) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.problem = problem;
    this.status = response.status;
    const retryAfter = Number(response.headers.get("Retry-After"));
    this.retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null;
  }
}

/** Return a call's data, or throw its problem as a ProblemError. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined) throw new ProblemError(result.error as Problem, result.response);
  return result.data as T;
}

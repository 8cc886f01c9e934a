// Compiled by `scripts/typescript_sdk.py check` (tsc --noEmit): the calls the frontend makes.
import { createSynapScaleClient, ProblemError, type Schemas, unwrap } from "../src/index";

const api = createSynapScaleClient({ baseUrl: "http://127.0.0.1:8000", token: "…", workspace: "acme" });

const definition: Schemas["WorkflowDefinition"] = {
  nodes: [
    { id: "fetch", type: "http_request", params: { url: "https://api.example.com/items", method: "GET" } },
    { id: "count", type: "transform", params: { expr: "length(nodes.fetch.json)" } },
    { id: "answer", type: "respond", params: { status: { expr: "`201`" }, body: { expr: "nodes.count" } } },
  ],
  edges: [
    { from: "fetch", to: "count" },
    { from: "count", to: "answer" },
  ],
};

export async function createRunAndPoll(): Promise<Schemas["ExecutionStatus"] | undefined> {
  const workflow = unwrap(await api.POST("/api/v1/workflows/", { body: { name: "Count items", definition } }));
  const started = unwrap(
    await api.POST("/api/v1/workflows/{id}/run/", {
      params: { path: { id: workflow.id } },
      body: { input: { since: "2026-01-01" } },
    }),
  );
  const status = await api.GET("/api/v1/executions/{id}/status/", { params: { path: { id: started.id } } });
  return status.data;
}

export async function failedRuns(): Promise<number[]> {
  const page = unwrap(
    await api.GET("/api/v1/executions/", { params: { query: { status: ["failed"], page_size: 50 } } }),
  );
  return page.results.map((execution) => execution.id);
}

export async function dailyPageViews(): Promise<unknown> {
  try {
    return unwrap(
      await api.POST("/api/v1/analytics/analysis/trends/", {
        body: { events: ["page_view"], interval: "day", date_range: { from: "2026-01-01", to: "2026-01-31" } },
      }),
    );
  } catch (error) {
    if (error instanceof ProblemError && error.status === 400) return error.problem.errors;
    throw error;
  }
}

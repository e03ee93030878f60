/**
 * swagger-parser cannot load inside workerd, so tests POST the document the Worker generated to
 * this Node-side endpoint, which validates it as OpenAPI and answers { valid, error? }.
 */
import { createServer } from "node:http";
import SwaggerParser from "@apidevtools/swagger-parser";

export async function startOpenApiValidator(): Promise<{
  url: string;
  close: () => Promise<void>;
}> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      let body: { valid: boolean; version?: string; error?: string };
      try {
        const doc = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        const api = (await SwaggerParser.validate(doc)) as { openapi?: string };
        body = { valid: true, version: api.openapi };
      } catch (err) {
        body = { valid: false, error: (err as Error).message };
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/validate`,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../../lib/context";
import { forbidden } from "../../../lib/errors";
import { errorResponses } from "../../../lib/openapi";
import { verifyWhatsAppChallenge } from "../../../providers/whatsapp";
import { notConfigured } from "../webhook-auth";

const param = (name: string, max: number) =>
  z
    .string()
    .max(max)
    .openapi({ param: { name, in: "query" } });

export const route = createRoute({
  method: "get",
  path: "/v1/webhooks/whatsapp",
  operationId: "verifyWhatsappWebhook",
  tags: ["Inbox"],
  summary: "WhatsApp's subscription check: echoes `hub.challenge` for our verify token",
  description:
    "`hub.mode=subscribe` with `hub.verify_token` equal to WHATSAPP_VERIFY_TOKEN (compared in " +
    "constant time): 200 with the raw challenge as text/plain. A parameter missing: 400; " +
    "anything else: 403. 503 while no verify token is configured.",
  security: [],
  request: {
    query: z.object({
      "hub.mode": param("hub.mode", 50),
      "hub.verify_token": param("hub.verify_token", 500),
      "hub.challenge": param("hub.challenge", 500),
    }),
  },
  responses: {
    ...errorResponses(403),
    200: {
      description: "The challenge, as sent",
      content: { "text/plain": { schema: z.string() } },
    },
  },
});

/** What Meta sends is a number: only token characters are echoed (never markup). */
const CHALLENGE = /^[A-Za-z0-9._~-]{1,500}$/;

export function register(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const query = c.req.valid("query");
    const mode = query["hub.mode"];
    const token = query["hub.verify_token"];
    const challenge = query["hub.challenge"];
    const refused = () => forbidden("Not a valid subscription request.");
    if (mode !== "subscribe" || !token || !challenge || !CHALLENGE.test(challenge)) {
      throw refused();
    }
    const verifyToken = c.get("config").WHATSAPP_VERIFY_TOKEN;
    if (!verifyToken) throw notConfigured("whatsapp");
    const echoed = verifyWhatsAppChallenge(
      { "hub.mode": mode, "hub.verify_token": token, "hub.challenge": challenge },
      verifyToken,
    );
    if (echoed === null) throw refused();
    return c.text(echoed, 200);
  });
}

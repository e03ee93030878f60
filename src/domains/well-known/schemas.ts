import { z } from "@hono/zod-openapi";

export const PublicJwkSchema = z
  .object({
    kty: z.literal("OKP"),
    crv: z.literal("Ed25519"),
    x: z.string().openapi({ description: "The public key, base64url" }),
    kid: z.string().openapi({ example: "2026-12-02-k3f9" }),
    alg: z.literal("EdDSA"),
    use: z.literal("sig"),
  })
  .openapi("PublicJwk", { description: "An Ed25519 public key (RFC 8037)" });

export const JwksSchema = z.object({ keys: z.array(PublicJwkSchema) }).openapi("Jwks", {
  description:
    "The keys that verify certificate credentials (VC-JWT): the current signing key first, " +
    "then earlier ones kept after rotation. Match a credential's `kid` header.",
});

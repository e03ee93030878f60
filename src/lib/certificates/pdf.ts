/**
 * Certificate PDFs. This module is what the rest of the app imports; it stays small: the
 * renderer (pdf-lib, fontkit, the QR encoder) is loaded only when a certificate is rendered, and
 * the fonts are static assets (public/fonts) fetched at render time, not part of the bundle.
 *
 * In a route:
 *   const pdf = await renderCertificatePdf(input, {
 *     fetchAsset: (p) => env.ASSETS.fetch(new URL(p, "http://assets.local")).then((r) => r.arrayBuffer()),
 *   });
 */
import type { CertificateAssets, CertificateInput } from "./pdf/types";

export { type CertificateLine, type CertificateLineRole, certificateLines } from "./pdf/lines";
export type { CertificateAssets, CertificateInput } from "./pdf/types";

/** The renderer module, loaded on first use. */
export const loadCertificateRenderer = () => import("./pdf/render");

/** A one-page A4 landscape PDF of the certificate (REVOKED across it when revoked). */
export async function renderCertificatePdf(
  input: CertificateInput,
  assets: CertificateAssets,
): Promise<Uint8Array> {
  const { renderCertificatePdf: render } = await loadCertificateRenderer();
  return render(input, assets);
}

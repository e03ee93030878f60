/** What a certificate says. Every string is shown as given (after the clean-up in lines.ts). */
export interface CertificateInput {
  name: string;
  course: string;
  batchName: string;
  /** YYYY-MM-DD, the batch's first day. */
  startDate: string;
  /** YYYY-MM-DD, the batch's last day. */
  endDate: string;
  issuedAt: Date;
  /** The code in its display form, e.g. "7KQ4-…". */
  code: string;
  verifyUrl: string;
  issuerName: string;
  /** 0–100. */
  attendancePct: number;
  revoked: null | { at: Date; reasonCategory: string };
}

export interface CertificateAssets {
  /**
   * Reads a static asset by absolute path (e.g. "/fonts/NotoSans-Regular.ttf"). In the Worker:
   * `(p) => env.ASSETS.fetch(new URL(p, "http://assets.local")).then((r) => r.arrayBuffer())`.
   */
  fetchAsset: (path: string) => Promise<ArrayBuffer>;
}

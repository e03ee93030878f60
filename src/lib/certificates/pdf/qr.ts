import { encode } from "uqr";

/**
 * The QR code's module matrix (true = dark), without the quiet zone: the renderer leaves white
 * space around it. Error correction M (15%) keeps the code small enough to scan from print.
 */
export function qrModules(text: string): boolean[][] {
  return encode(text, { ecc: "M", border: 0 }).data;
}

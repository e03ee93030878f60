export { registerGetLiveness } from "./routes/get-liveness";
export { registerGetReadiness } from "./routes/get-readiness";

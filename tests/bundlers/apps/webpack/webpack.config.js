// An app's ordinary webpack 5 setup: nothing here is for Confide.
import { fileURLToPath } from "node:url";

export default {
  mode: "production",
  entry: "./src/index.js",
  output: { path: fileURLToPath(new URL("./dist", import.meta.url)), clean: true },
};

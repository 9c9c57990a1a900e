import { quickstart, show } from "./quickstart.js";

quickstart().then(show);

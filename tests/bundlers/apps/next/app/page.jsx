"use client";
// A client component of the app router, as a Next.js app would use Confide.
import { useEffect, useState } from "react";
import { quickstart } from "./quickstart.js";

export default function Page() {
  const [result, setResult] = useState("running");
  useEffect(() => {
    quickstart().then((r) => setResult(JSON.stringify(r)));
  }, []);
  return <pre id="result">{result}</pre>;
}

// A Kubernetes validating admission webhook in plain Node: the API server
// POSTs an AdmissionReview v1, `policy.review` answers it. The policy is
// compiled once at start and reused for every request.
//
//   node webhook.mjs [--policy FILE_OR_DIR]... [--env production] [--port 8443]
//
// Without --policy the built-in library decides. Kubernetes only calls
// webhooks over HTTPS: set TLS_CERT and TLS_KEY (PEM files) to serve HTTPS;
// without them it serves plain HTTP (for a TLS-terminating sidecar, or local
// tests). PORT=0 picks a free port; the first line printed says which.
import { createServer as createHttp } from "node:http";
import { createServer as createHttps } from "node:https";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Policy, InputError } from "assay-policy";

// The API server sends at most ~3 MiB (etcd's object limit plus the request).
const MAX_BODY = 4 << 20;

/** Policy files (name → text) under each path; directories are read recursively. */
function policyFiles(paths) {
  const files = {};
  const add = (path) => {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        if (name !== "tests" && !name.startsWith(".")) add(join(path, name));
      }
    } else if (/\.ya?ml$/.test(path)) {
      files[path] = readFileSync(path, "utf8");
    }
  };
  paths.forEach(add);
  return files;
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** The request handler: POST an AdmissionReview, get its response. */
export function webhook(policy, { env } = {}) {
  return (req, res) => {
    if (req.method === "GET" && req.url === "/healthz") return send(res, 200, { ok: true });
    if (req.method !== "POST") return send(res, 405, { error: "POST an AdmissionReview" });
    if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) {
      return send(res, 415, { error: "the body must be application/json, as the API server sends it" });
    }
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        send(res, 413, { error: `the request is over ${MAX_BODY} bytes` });
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => {
      if (res.headersSent) return;
      let review;
      try {
        review = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        // Not `e.message`: V8 quotes the body around the fault, secrets included.
        return send(res, 400, { error: "the body is not JSON" });
      }
      if (review === null || typeof review !== "object" || Array.isArray(review)) {
        return send(res, 400, { error: "the body is not an AdmissionReview (a JSON object)" });
      }
      try {
        send(res, 200, policy.review(review, { env }));
      } catch (e) {
        // Not an AdmissionReview: the API server never sends that, so say why.
        if (e instanceof InputError) return send(res, 400, { error: e.message, hint: e.hint });
        console.error(e);
        send(res, 500, { error: "internal error" });
      }
    });
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      policy: { type: "string", short: "p", multiple: true, default: [] },
      env: { type: "string", default: process.env.ASSAY_ENV ?? "" },
      port: { type: "string", default: process.env.PORT ?? "8443" },
      host: { type: "string", default: process.env.HOST ?? "127.0.0.1" },
    },
  });
  const policy = values.policy.length ? Policy.fromYaml(policyFiles(values.policy)) : Policy.defaults();
  const handler = webhook(policy, { env: values.env });
  const tls = process.env.TLS_CERT && process.env.TLS_KEY;
  const server = tls
    ? createHttps({ cert: readFileSync(process.env.TLS_CERT), key: readFileSync(process.env.TLS_KEY) }, handler)
    : createHttp(handler);
  server.listen(Number(values.port), values.host, () => {
    const { address, port } = server.address();
    console.log(`assay webhook listening on ${tls ? "https" : "http"}://${address}:${port} (env ${values.env || "default"})`);
  });
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => server.close(() => { policy.free(); process.exit(0); }));
  }
}

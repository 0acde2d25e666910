// Drives the npm `@woocommerce/woocommerce-rest-api` client (1.0.2), unmodified, against
// a clientele server.
//
// usage: node wc.mjs CONFIG_JSON
//
// Same configuration and output as wc.py: one JSON list of steps on stdout. The client
// is loaded from the install prefix named in the configuration (`js_prefix`).

import https from "node:https";
import path from "node:path";
import { createRequire } from "node:module";

const config = JSON.parse(process.argv[2]);
const require = createRequire(path.join(config.js_prefix, "package.json"));
const WooCommerceRestApi = require("@woocommerce/woocommerce-rest-api").default;

const KEPT_HEADERS = new Set([
  "x-wp-total",
  "x-wp-totalpages",
  "x-wc-total",
  "x-wc-totalpages",
  "link",
  "location",
  "www-authenticate",
]);
const steps = [];

async function call(name, send) {
  let response;
  try {
    response = await send();
  } catch (error) {
    // axios throws on every non-2xx answer; the answer is still the result.
    if (!error.response) {
      steps.push({ name, error: String(error) });
      return null;
    }
    response = error.response;
  }
  const headers = {};
  const raw = typeof response.headers.toJSON === "function" ? response.headers.toJSON() : response.headers;
  for (const [key, value] of Object.entries(raw)) {
    if (KEPT_HEADERS.has(key.toLowerCase())) headers[key.toLowerCase()] = String(value);
  }
  steps.push({ name, status: response.status, headers, body: response.data });
  return response.data;
}

const insecure = new https.Agent({ rejectUnauthorized: false });

function client(base, version, { legacy = false, key = "rw", secret = null, queryAuth = false } = {}) {
  return new WooCommerceRestApi({
    url: base,
    consumerKey: config.keys[key].ck,
    consumerSecret: secret ?? config.keys[key].cs,
    version,
    wpAPIPrefix: legacy ? "wc-api" : "wp-json",
    queryStringAuth: queryAuth,
    timeout: 30000,
    axiosConfig: { httpsAgent: insecure },
  });
}

const transports = [
  ["http", config.http, false],
  ["https", config.https, false],
  ["https-qs", config.https, true],
];

async function authMode() {
  const wrong = "cs_" + "9".repeat(40);
  for (const [name, base, queryAuth] of transports) {
    const rest = client(base, "wc/v3", { queryAuth });
    const bad = client(base, "wc/v3", { secret: wrong, queryAuth });
    const readOnly = client(base, "wc/v3", { key: "read", queryAuth });
    await call(`${name}:rest:good`, () => rest.get("customers", { per_page: 5, search: "john doe" }));
    await call(`${name}:rest:write`, () => rest.delete("customers/1", { force: true }));
    await call(`${name}:rest:bad-secret`, () => bad.get("customers"));
    await call(`${name}:rest:read-key-write`, () => readOnly.post("customers", { email: "x@example.com" }));
    await call(`${name}:rest:slash`, () => rest.get("customers", { search: "a/b@c~d" }));
    const legacy = client(base, "v3", { legacy: true, queryAuth });
    const legacyBad = client(base, "v3", { legacy: true, secret: wrong, queryAuth });
    await call(`${name}:legacy:good`, () => legacy.get("customers", { filter: { q: "*john*", limit: 5 }, page: 1 }));
    await call(`${name}:legacy:bad-secret`, () => legacyBad.get("customers"));
  }
}

async function restFlow(prefix, api, tag, seedId) {
  const ann = `ann.${tag}@example.com`;
  const created = (await call(`${prefix}:create`, () => api.post("customers", {
    email: ann,
    first_name: "Ann",
    last_name: "Lee",
    username: `ann.${tag}`,
    billing: { first_name: "Ann", city: "São Paulo", email: ann },
  }))) ?? {};
  const annId = created.id ?? 0;
  await call(`${prefix}:get`, () => api.get(`customers/${annId}`));
  const batch = (await call(`${prefix}:batch`, () => api.post("customers/batch", {
    create: [
      { email: `bea.${tag}@example.com`, username: `bea.${tag}` },
      { email: `cal.${tag}@example.com`, username: `cal.${tag}` },
    ],
    update: [{ id: annId, last_name: "Lee-Smith" }],
  }))) ?? {};
  const others = (batch.create ?? []).map((item) => item.id ?? 0);
  for (const page of [1, 2]) {
    await call(`${prefix}:list${page}`, () => api.get("customers", {
      search: tag, per_page: 2, page, orderby: "id", order: "asc",
    }));
  }
  await call(`${prefix}:update`, () => api.put(`customers/${annId}`, { first_name: "Anna" }));
  await call(`${prefix}:seed`, () => api.get(`customers/${seedId}`));
  await call(`${prefix}:downloads`, () => api.get(`customers/${seedId}/downloads`));
  await call(`${prefix}:delete`, () => api.delete(`customers/${annId}`, { force: true }));
  await call(`${prefix}:batch-delete`, () => api.post("customers/batch", { delete: others }));
  await call(`${prefix}:gone`, () => api.get(`customers/${annId}`));
}

async function legacyFlow(prefix, api, tag, seedId) {
  const ann = `ann.${tag}@example.com`;
  const created = (await call(`${prefix}:create`, () => api.post("customers", { customer: {
    email: ann,
    first_name: "Ann",
    last_name: "Lee",
    username: `ann.${tag}`,
    billing_address: { first_name: "Ann", city: "São Paulo" },
  } }))) ?? {};
  const annId = created.customer?.id ?? 0;
  await call(`${prefix}:get`, () => api.get(`customers/${annId}`));
  await call(`${prefix}:by-email`, () => api.get(`customers/email/${ann}`));
  const bulk = (await call(`${prefix}:bulk`, () => api.post("customers/bulk", { customers: [
    { email: `bea.${tag}@example.com`, username: `bea.${tag}` },
    { email: `cal.${tag}@example.com`, username: `cal.${tag}` },
    { id: annId, last_name: "Lee-Smith" },
  ] }))) ?? {};
  const others = (bulk.customers ?? []).slice(0, 2).map((c) => c.id ?? 0);
  await call(`${prefix}:count`, () => api.get("customers/count", { filter: { q: `*${tag}*` } }));
  for (const page of [1, 2]) {
    await call(`${prefix}:list${page}`, () => api.get("customers", {
      filter: { q: `*${tag}*`, limit: 2, orderby: "id", order: "asc" }, page,
    }));
  }
  await call(`${prefix}:update`, () => api.put(`customers/${annId}`, { customer: { first_name: "Anna" } }));
  await call(`${prefix}:orders`, () => api.get(`customers/${seedId}/orders`));
  await call(`${prefix}:downloads`, () => api.get(`customers/${seedId}/downloads`));
  await call(`${prefix}:delete`, () => api.delete(`customers/${annId}`));
  for (const other of others) {
    await call(`${prefix}:delete-other`, () => api.delete(`customers/${other}`));
  }
  await call(`${prefix}:gone`, () => api.get(`customers/${annId}`));
}

async function flowMode() {
  for (const [name, base] of transports.slice(0, 2)) {
    for (const version of ["wc/v3", "wc/v2"]) {
      const tag = `js-${name}-${version.replace("/", "")}`;
      await restFlow(`${name}:${version}`, client(base, version), tag, config.seed_id);
    }
    await legacyFlow(`${name}:legacy`, client(base, "v3", { legacy: true }), `js-${name}-legacy`, config.seed_id);
  }
}

if (config.mode === "auth") {
  await authMode();
} else {
  await flowMode();
}
console.log(JSON.stringify(steps));

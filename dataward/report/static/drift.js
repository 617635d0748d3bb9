
"use strict";
(() => {
  // Everything is worded in Python (dataward.report.drift_page): ages as of the page's making,
  // names with their control characters shown. Here it only becomes elements, as text.
  const drift = JSON.parse(document.getElementById("drift-data").textContent);
  const $ = (id) => document.getElementById(id);
  const envs = drift.environments;
  const anchor = (env) => `env-${env.env}`;
  const name = (text) => h("bdi", {}, text);

  // ---- the matrix: datasets x environments -------------------------------------------------

  function matrix() {
    const stale = (env) => (env.stale ? "stale" : null);
    $("matrix").querySelector("thead").append(h("tr", {},
      h("th", {scope: "col"}, "Dataset"),
      h("th", {scope: "col"}, "Registry"),
      envs.map((env) => h("th", {scope: "col", class: stale(env)},
        h("a", {href: `#${anchor(env)}`}, name(env.env)),
        env.stale ? [" ", h("span", {class: "badge warn"}, "stale")] : null,
        h("div", {class: "sub"}, env.age)))));
    $("matrix").querySelector("tbody").append(...drift.datasets.map((d) => h("tr", {},
      h("th", {scope: "row"}, name(d.name)),
      h("td", {class: "nowrap"}, `v${d.current}`),
      d.cells.map((cell, i) => h("td", {
        class: ["cell", stale(envs[i])].filter(Boolean).join(" "),
        title: cell ? cell.title : "not in this environment's report",
      }, cell ? cell.text : "")))));
    $("empty").hidden = envs.length > 0;
    const stales = envs.filter((env) => env.stale).map((env) => env.env);
    if (stales.length) {
      $("stale-note").hidden = false;
      $("stale-note").replaceChildren(h("strong", {}, "Stale"),
        `: no report for over ${drift.staleDays} days from ${stales.join(", ")}. Is its scan `
        + "still running (the runner, the cron job)? Its column shows what it held then.");
    }
    $("legend").replaceChildren(drift.legend);
  }

  // ---- one section per environment ---------------------------------------------------------

  function changes(row) {
    if (!row.changes.length) return "none seen";
    return h("ul", {class: "changes"}, row.changes.map((c) => h("li", {},
      `${c.time}: ${c.from} → ${c.to}`)),
    row.earlier ? h("li", {class: "sub"}, `and ${row.earlier} earlier`) : null);
  }

  function historyTable(env) {
    return [h("h4", {}, "History"),
      h("div", {class: "scroll"}, h("table", {class: "history"},
        h("caption", {class: "visually-hidden"}, `What ${env.env} held over time`),
        h("thead", {}, h("tr", {}, ["Dataset", "Holds", "Since", "Changes, newest first"]
          .map((c) => h("th", {scope: "col"}, c)))),
        h("tbody", {}, env.history.map((row) => h("tr", {},
          h("th", {scope: "row"}, name(row.dataset)),
          h("td", {class: "nowrap"}, row.held),
          h("td", {}, row.since ? [`${row.held} since ${row.since}`,
            h("div", {class: "sub"}, row.sinceAge)] : "—"),
          h("td", {}, changes(row)))))))];
  }

  function section(env) {
    return h("section", {class: env.stale ? "env stale" : "env", id: anchor(env),
      "aria-labelledby": `${anchor(env)}-title`},
    h("h3", {id: `${anchor(env)}-title`}, name(env.env),
      env.stale ? [" ", h("span", {class: "badge warn"}, "stale")] : null),
    fields([
      ["Host", h("code", {}, env.host)],
      ["Root", h("code", {}, env.root)],
      ["Registry", env.registry ? h("code", {}, env.registry) : "not named in the report"],
      ["Reported", [env.time, ` (${env.age}`, env.stale ? ", stale" : "", ")"]],
      ["Registry at", h("code", {title: env.commit}, env.commit.slice(0, 12))],
      ["Datasets", env.expected],
      ["In sync", env.inSync],
      ["Not in the registry", env.unregistered.length
        ? h("ul", {}, env.unregistered.map((u) => h("li", {}, u))) : null],
    ]),
    historyTable(env),
    env.fixes ? [h("h4", {}, "To fix (paste on that machine)"),
      h("pre", {class: "fixes"}, h("code", {}, env.fixes))] : null);
  }

  $("about").replaceChildren(`From the drift reports ${envs.length} environment`
    + (envs.length === 1 ? "" : "s") + ` published, as of ${drift.asOf}.`);
  $("generated").replaceChildren(`Written by ${drift.generator} at ${drift.asOf}; ages are `
    + "as of then (the page does not update itself).");
  matrix();
  $("environments").append(...envs.map(section));
})();

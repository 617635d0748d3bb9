
"use strict";
(() => {
  const catalog = JSON.parse(document.getElementById("catalog-data").textContent);
  const datasets = catalog.datasets;
  // name -> what a pull of each version transfers and costs, oldest first (worded in Python)
  const pulls = JSON.parse(document.getElementById("pull-data").textContent);
  const pullOf = (d) => {
    const said = Object.prototype.hasOwnProperty.call(pulls, d.name) ? pulls[d.name] : null;
    return Array.isArray(said) && typeof said[said.length - 1] === "string"
      ? said[said.length - 1] : null;
  };
  // name -> which environments hold which version (`catalog build --drift`), worded in Python
  const holdingElement = document.getElementById("holding-data");
  const holding = holdingElement ? JSON.parse(holdingElement.textContent) : null;
  const holdingsOf = (d) => (holding
    && Object.prototype.hasOwnProperty.call(holding.datasets, d.name)
    && Array.isArray(holding.datasets[d.name]) ? holding.datasets[d.name] : []);
  const sentence = (text) => text.charAt(0).toUpperCase() + text.slice(1) + ".";
  const byName = new Map(datasets.map((d) => [d.name, d]));
  const PLACEHOLDER = "<registry url>";
  const registry = catalog.registry;
  const $ = (id) => document.getElementById(id);

  // h(tag, attrs, ...children), in dom.js: the one way this script makes elements.

  function webUrl(url) {
    try {
      const parsed = new URL(url);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function link(url, ...text) {
    const href = webUrl(url);
    return href ? h("a", {href, rel: "noopener noreferrer"}, ...text) : h("span", {}, ...text);
  }

  function humanSize(bytes) {
    if (bytes === null || bytes === undefined) return "—";
    const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    if (unit === 0) return `${bytes} B`;
    const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
    return `${value.toFixed(digits)} ${units[unit]}`;
  }

  const count = (n) => (n === null || n === undefined ? "—" : n.toLocaleString("en-US"));
  const bytes = (n) => (n === null || n === undefined ? "unknown"
    : `${n.toLocaleString("en-US")} bytes`);
  const files = (d) => (d.is_dir ? count(d.nfiles) : "1");
  const short = (commit) => commit.slice(0, 7);
  const day = (iso) => h("time", {datetime: iso, title: iso}, iso.slice(0, 10));
  // What `--rev` names a version by: its first tag (catalog.json orders them), else its commit.
  const revOf = (v) => (v.tags && v.tags.length ? v.tags[0] : v.commit);
  const datasetHref = (name) => "#dataset=" + encodeURIComponent(name).replace(/%2F/g, "/");

  function licenses(card) {
    if (!card) return "";
    return card.license.map((id) => (id === "other" && card.license_name
      ? card.license_name : id)).join(", ");
  }

  // Shell words as a user pastes them: quoted only when they need to be.
  function shell(word) {
    return /^[A-Za-z0-9_@%+=:,.\/-]+$/.test(word) ? word
      : "'" + word.replace(/'/g, "'\"'\"'") + "'";
  }
  const registryWord = registry ? shell(registry) : PLACEHOLDER;
  const importCommand = (d, rev) => `dvc import ${registryWord} ${shell(d.path)}`
    + (rev ? ` --rev ${shell(rev)}` : "");
  const getCommand = (d) => `dvc get ${registryWord} ${shell(d.path)}`;

  // ---- the list ----------------------------------------------------------------------------

  function searchText(d) {
    const card = d.card;
    const words = [d.name];
    if (card) {
      words.push(card.pretty_name || "", licenses(card), ...card.license, ...card.tags);
      for (const m of card.maintainers) words.push(m.name, m.email || "", m.github || "");
    }
    return words.join("\n").toLowerCase();
  }

  const rows = datasets.map((d) => {
    const card = d.card;
    const current = d.versions[d.versions.length - 1];
    const row = h("tr", {},
      h("th", {scope: "row"},
        h("a", {href: datasetHref(d.name)}, d.name),
        d.imported ? [" ", h("span", {class: "badge"}, "import")] : null,
        card ? null : [" ", h("span", {class: "badge"}, "no card")],
        card && card.pretty_name ? h("div", {class: "sub"}, card.pretty_name) : null),
      h("td", {class: "nowrap"}, `v${current.version}`),
      h("td", {class: "num", title: bytes(d.size)}, humanSize(d.size)),
      h("td", {class: "num"}, files(d)),
      h("td", {}, licenses(card)),
      h("td", {}, card ? card.maintainers.map((m) => m.name).join(", ") : ""),
      h("td", {class: "nowrap"}, day(current.date)));
    return {dataset: d, row, text: searchText(d)};
  });
  document.querySelector("#datasets tbody").append(...rows.map((r) => r.row));

  function filter() {
    const query = $("search").value;
    const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const r of rows) {
      const match = terms.every((t) => r.text.includes(t));
      r.row.hidden = !match;
      if (match) shown += 1;
    }
    const noun = datasets.length === 1 ? "dataset" : "datasets";
    $("count").textContent = terms.length
      ? `Showing ${shown} of ${datasets.length} ${noun}` : `${datasets.length} ${noun}`;
    $("empty").hidden = shown > 0;
    $("empty").textContent = datasets.length
      ? `No dataset matches “${query.trim()}”.` : "This registry has no datasets yet.";
  }
  $("search").addEventListener("input", filter);

  // ---- card Markdown: a small subset, built as elements, never parsed as HTML ---------------

  const INLINE = new RegExp([
    /`([^`\n]+)`/,                                                      // `code`
    /\[([^\]\n]+)\]\(\s*<?([^()\s<>]*)>?(?:\s+"[^"\n]*")?\s*\)/,        // [text](url "title")
    /<(https?:\/\/[^\s<>]+)>/,                                          // <https://...>
    /\*\*(\S(?:.*?\S)?)\*\*/,                                           // **strong**
    /\*(\S(?:.*?\S)?)\*/, /\b_(\S(?:.*?\S)?)_\b/,                       // *em*, _em_
    /\b(https?:\/\/[^\s<>()]*[^\s<>().,;:!?'"])/,                       // a bare URL
  ].map((re) => re.source).join("|"), "g");

  function inline(text) {
    const out = [];
    const re = new RegExp(INLINE);
    let last = 0;
    let m;
    while ((m = re.exec(text)) !== null) {
      out.push(text.slice(last, m.index));
      last = re.lastIndex;
      if (m[1] !== undefined) out.push(h("code", {}, m[1]));
      else if (m[2] !== undefined) {
        out.push(webUrl(m[3]) ? link(m[3], ...inline(m[2])) : m[0]);   // other schemes: as typed
      } else if (m[4] !== undefined) out.push(link(m[4], m[4]));
      else if (m[5] !== undefined) out.push(h("strong", {}, ...inline(m[5])));
      else if (m[6] !== undefined) out.push(h("em", {}, ...inline(m[6])));
      else if (m[7] !== undefined) out.push(h("em", {}, ...inline(m[7])));
      else out.push(link(m[8], m[8]));
    }
    out.push(text.slice(last));
    return out.filter((part) => part !== "");
  }

  const FENCE = /^ {0,3}(`{3,}|~{3,})/;
  const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
  const ITEM = /^ {0,3}([-*+]|\d{1,9}[.)])[ \t]+(.*)$/;
  const QUOTE = /^ {0,3}> ?(.*)$/;
  const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
  const startsBlock = (line) => FENCE.test(line) || HEADING.test(line) || ITEM.test(line)
    || QUOTE.test(line) || RULE.test(line);

  function markdown(source) {
    const lines = source.replace(/\r\n?/g, "\n").split("\n");
    const out = [];
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      let m;
      if (!line.trim()) {
        i += 1;
      } else if ((m = FENCE.exec(line))) {
        const code = [];
        for (i += 1; i < lines.length && !lines[i].trim().startsWith(m[1]); i += 1) {
          code.push(lines[i]);
        }
        i += 1;
        out.push(h("pre", {}, h("code", {}, code.join("\n"))));
      } else if ((m = HEADING.exec(line))) {
        // The page's own headings are h1 to h3: a card's # is an h4.
        out.push(h(`h${Math.min(6, m[1].length + 3)}`, {}, ...inline(m[2])));
        i += 1;
      } else if (RULE.test(line)) {
        out.push(h("hr", {}));
        i += 1;
      } else if (QUOTE.test(line)) {
        const quoted = [];
        for (; i < lines.length && (m = QUOTE.exec(lines[i])); i += 1) quoted.push(m[1]);
        out.push(h("blockquote", {}, ...markdown(quoted.join("\n"))));
      } else if ((m = ITEM.exec(line))) {
        const ordered = /\d/.test(m[1]);
        const list = h(ordered ? "ol" : "ul", {});
        const items = [];
        while (i < lines.length && lines[i].trim()) {
          const item = ITEM.exec(lines[i]);
          if (item && items.length && /\d/.test(item[1]) !== ordered) break;   // another list
          if (item) items.push([item[2]]);
          else if (startsBlock(lines[i])) break;
          else items[items.length - 1].push(lines[i].trim());
          i += 1;
        }
        list.append(...items.map((words) => h("li", {}, ...inline(words.join(" ")))));
        out.push(list);
      } else {
        const text = [];
        for (; i < lines.length && lines[i].trim() && !startsBlock(lines[i]); i += 1) {
          text.push(lines[i].trim());
        }
        out.push(h("p", {}, ...inline(text.join("\n"))));
      }
    }
    return out;
  }

  // ---- the detail view ---------------------------------------------------------------------

  function commandBlock(label, text) {
    const code = h("code", {}, text);
    const button = h("button", {type: "button", "aria-label": `Copy: ${text}`}, "Copy");
    button.addEventListener("click", () => {
      const done = (word) => {
        button.textContent = word;
        setTimeout(() => { button.textContent = "Copy"; }, 1500);
      };
      const select = () => {
        window.getSelection().selectAllChildren(code);
        done("Press Ctrl+C");
      };
      if (navigator.clipboard) {
        navigator.clipboard.writeText(text).then(() => done("Copied"), select);
      } else {
        select();
      }
    });
    return [h("p", {}, ...[label].flat()), h("div", {class: "command"}, h("pre", {}, code),
      button)];
  }

  function maintainer(m) {
    const parts = [m.name];
    if (m.email && /^[^\s@<>()",;:]+@[^\s@<>()",;:]+$/.test(m.email)) {
      parts.push(" <", h("a", {href: `mailto:${m.email}`}, m.email), ">");
    } else if (m.email) {
      parts.push(` <${m.email}>`);
    }
    if (m.github && /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(m.github)) {
      parts.push(" (", link(`https://github.com/${m.github}`, `@${m.github}`), ")");
    }
    return h("li", {}, ...parts);
  }

  // The description, shown under the title, is the text's first paragraph: not twice.
  function withoutDescription(card) {
    const text = card.text.replace(/\r\n?/g, "\n").replace(/^\s*\n/, "");
    const end = text.search(/\n[ \t]*\n/);
    const first = end < 0 ? text : text.slice(0, end);
    return first.trim() === card.description.trim() && card.description.trim()
      ? text.slice(first.length) : text;
  }

  function cardSection(d) {
    const card = d.card;
    if (!card && d.stage) {
      return [h("h3", {}, "Card"), h("p", {class: "note"}, "This dataset has no card: it is "
        + "the output of a pipeline stage, ", h("code", {}, d.stage), " in ",
        h("code", {}, d.dvc_file), ".")];
    }
    if (!card) {
      return [h("h3", {}, "Card"),
        h("p", {class: "note"}, "This dataset has no card. Write one with ",
          h("code", {}, `dataward card new ${d.dvc_file}`), ".")];
    }
    const license = licenses(card);
    return [
      h("h3", {}, "Card"),
      fields([
        ["License", card.license_link && webUrl(card.license_link)
          ? link(card.license_link, license) : license],
        ["Maintainers", card.maintainers.length ? h("ul", {}, card.maintainers.map(maintainer))
          : null],
        ["Source", card.source ? (webUrl(card.source) ? link(card.source, card.source)
          : card.source) : null],
        ["Access", card.access],
        ["Personal data", card.personal_data === null ? null
          : card.personal_data ? "yes" : "no"],
        ["Tags", card.tags.join(", ")],
        ["Language", card.language.join(", ")],
        ["Tasks", card.task_categories.join(", ")],
        ["Size category", card.size_categories.join(", ")],
        ["Citation", card.citation ? h("pre", {}, card.citation) : null],
        ["Card file", h("code", {}, card.path)],
      ]),
      h("h4", {class: "visually-hidden"}, "Card text"),
      h("div", {class: "card-text"}, ...markdown(withoutDescription(card))),
    ];
  }

  function history(d) {
    const newestFirst = [...d.versions].reverse();
    const head = ["Version", "Date", "Author", "Message", "MD5", "Size", "Files", "Commit",
      "Import this version"];
    return [
      h("h3", {}, "Version history"),
      h("div", {class: "scroll"}, h("table", {class: "history"},
        h("caption", {class: "visually-hidden"}, `Versions of ${d.name}, newest first`),
        h("thead", {}, h("tr", {}, head.map((c) => h("th", {scope: "col"}, c)))),
        h("tbody", {}, newestFirst.map((v, index) => h("tr", {},
          h("th", {scope: "row", class: "nowrap"}, `v${v.version}`,
            index === 0 ? [" ", h("span", {class: "badge"}, "current")] : null,
            v.tags && v.tags.length ? h("div", {class: "sub"}, v.tags.join(", ")) : null),
          h("td", {class: "nowrap"}, day(v.date)),
          h("td", {}, v.author),
          h("td", {}, v.message, v.dvc_file !== d.dvc_file
            ? h("div", {class: "sub"}, "in ", h("code", {}, v.dvc_file)) : null),
          h("td", {}, h("code", {title: v.md5}, v.md5)),
          h("td", {class: "num", title: bytes(v.size)}, humanSize(v.size)),
          h("td", {class: "num"}, d.is_dir ? count(v.nfiles) : "1"),
          h("td", {}, h("code", {title: v.commit}, short(v.commit))),
          h("td", {class: "cmd"}, h("code", {}, importCommand(d, revOf(v))))))))),
    ];
  }

  const HELD = {in_sync: "in sync", behind: "behind", modified: "modified", partial: "partial",
    missing: "missing", not_checked: "not checked"};

  // What one environment holds: ~ marks the version modified or partial data is nearest to.
  function held(x, current) {
    const approx = x.status === "modified" || x.status === "partial" ? "~" : "";
    const version = x.version === null || x.version === undefined ? null
      : `${approx}v${x.version}`;
    const word = x.status === "in_sync" ? (x.version === current ? "current" : "behind")
      : HELD[x.status] || String(x.status);
    return [version, version ? " " : null,
      h("span", {class: word === "current" ? "badge" : "badge warn"}, word)];
  }

  function environments(d) {
    if (!holding) return [];
    const current = d.versions[d.versions.length - 1].version;
    const rows = holdingsOf(d);
    const head = [h("h3", {}, "Environments")];
    if (!rows.length) {
      return [...head, h("p", {class: "note"},
        `No environment's drift report names this dataset (as of ${holding.asOf}).`)];
    }
    return [...head,
      h("p", {class: "note"}, "Which version each environment holds, from its latest drift "
        + `report, as of ${holding.asOf}.`),
      h("div", {class: "scroll"}, h("table", {class: "holdings"},
        h("caption", {class: "visually-hidden"}, `Environments holding ${d.name}`),
        h("thead", {}, h("tr", {}, ["Environment", "Holds", "Since", "Report"].map(
          (c) => h("th", {scope: "col"}, c)))),
        h("tbody", {}, rows.map((x) => h("tr", {class: x.stale ? "stale" : null},
          h("th", {scope: "row"}, h("bdi", {}, x.env),
            x.stale ? [" ", h("span", {class: "badge warn"}, "stale")] : null),
          h("td", {class: "nowrap"}, held(x, current)),
          h("td", {}, x.since ? [x.since, h("div", {class: "sub"}, x.sinceAge)] : "—"),
          h("td", {}, x.time, h("div", {class: "sub"}, x.age))))))),
    ];
  }

  function detail(d) {
    const card = d.card;
    const current = d.versions[d.versions.length - 1];
    const parts = [
      h("p", {}, h("a", {href: "#", class: "back"}, "← All datasets")),
      h("h2", {tabindex: "-1"}, card && card.pretty_name ? card.pretty_name : d.name),
      h("p", {class: "sub"}, h("code", {}, d.name), ` · v${current.version}`,
        current.tags && current.tags.length ? ` (${current.tags.join(", ")})` : null,
        " · last change ",
        day(current.date), ` · ${humanSize(d.size)}`,
        d.is_dir ? ` · ${files(d)} files` : " · one file"),
      card && card.description ? h("p", {}, ...inline(card.description)) : null,
    ];
    if (d.imported) {
      const source = d.imported;
      parts.push(h("p", {class: "note"}, "Imported into the registry from ",
        link(source.url, source.url), " (path ", h("code", {}, source.path),
        source.rev ? [", revision ", h("code", {}, source.rev)] : null,
        source.rev_lock ? [", locked at ", h("code", {}, short(source.rev_lock))] : null,
        ")."));
    }
    parts.push(h("h3", {}, "Use it"),
      ...commandBlock(["Import it into your DVC project (it stays linked: ",
        h("code", {}, "dvc update"), " follows new versions):"], importCommand(d)),
      ...commandBlock("Or download a copy, without tracking it:", getCommand(d)));
    const pull = pullOf(d);
    if (pull) {
      parts.push(h("p", {class: "note", id: "pull"}, `v${current.version}: `, sentence(pull)));
    }
    if (d.imported) {
      const source = d.imported;
      const rev = source.rev_lock || source.rev;
      parts.push(...commandBlock("Or import it from where it comes from:",
        `dvc import ${shell(source.url)} ${shell(source.path)}`
          + (rev ? ` --rev ${shell(rev)}` : "")));
    }
    if (!registry) {
      parts.push(h("p", {class: "note"}, "This catalog does not know the registry's URL: "
        + `replace ${PLACEHOLDER} with it.`));
    }
    parts.push(...environments(d), ...cardSection(d), ...history(d), h("h3", {}, "Storage"), fields([
      ["Path", h("code", {}, d.path)],
      [d.stage ? "Pipeline file" : ".dvc file", h("code", {}, d.dvc_file)],
      ["Stage", d.stage ? h("code", {}, d.stage) : null],
      ["Kind", d.is_dir ? "directory" : "file"],
      ["Size", `${humanSize(d.size)} (${bytes(d.size)})`],
      ["Files", d.is_dir ? count(d.nfiles) : null],
      ["Pull", pull ? sentence(pull) : null],
      ["Hash", [h("code", {}, d.md5), ` (${d.hash})`]],
      ["Remote", d.remote ? [h("code", {}, d.remote), d.remote_url ? " " : null,
        d.remote_url ? h("code", {}, d.remote_url) : null] : null],
      ["Object", d.object_url ? h("code", {}, d.object_url) : null],
    ]));
    return parts;
  }

  // ---- routing: #dataset=<name> is the detail view, anything else the list -----------------

  let lastShown = null;

  function route() {
    const m = /^#dataset=(.*)$/s.exec(location.hash);
    const list = $("list");
    const view = $("detail");
    if (!m) {
      view.hidden = true;
      view.replaceChildren();
      list.hidden = false;
      document.title = "Datasets";
      const back = lastShown && rows.find((r) => r.dataset.name === lastShown && !r.row.hidden);
      if (back) back.row.querySelector("a").focus();
      lastShown = null;
      return;
    }
    let name;
    try {
      name = decodeURIComponent(m[1]);
    } catch (e) {
      name = m[1];
    }
    const d = byName.get(name);
    // replaceChildren would write a null or false as the text "null": leave them out.
    view.replaceChildren(...(d ? detail(d).filter((part) => part !== null && part !== false
      && part !== undefined) : [
      h("p", {}, h("a", {href: "#", class: "back"}, "← All datasets")),
      h("h2", {tabindex: "-1"}, "No such dataset"),
      h("p", {}, "This catalog has no dataset named ", h("code", {}, name), "."),
    ]));
    list.hidden = true;
    view.hidden = false;
    document.title = `${d ? name : "No such dataset"} · Datasets`;
    lastShown = name;
    window.scrollTo(0, 0);
    view.querySelector("h2").focus();
  }

  const about = [registry ? link(registry, registry) : "Registry URL unknown",
    ` at commit ${short(catalog.commit)}, `, day(catalog.date)];
  $("about").replaceChildren(...about);
  $("generated").replaceChildren(`Generated by ${catalog.generator} from commit `,
    h("code", {}, catalog.commit), ".");
  filter();
  window.addEventListener("hashchange", route);
  route();
})();

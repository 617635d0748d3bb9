"use strict";
// Every element of a page is made here: attributes from our own code, text as Text nodes
// (never parsed as HTML). Shared by the catalog page and the drift dashboard.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined && value !== false) {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false) el.append(child);
  }
  return el;
}

// A term: value list of the pairs that have a value.
function fields(pairs) {
  return h("dl", {}, pairs.filter(([, value]) => value !== null && value !== undefined
    && value !== "" && !(Array.isArray(value) && !value.length))
    .map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

// Writing terms of the query language (docs/search.md).

/** A value as the query language reads it: quoted when it holds spaces, commas or quotes. */
export function quote(v: string): string {
  if (v && !/[\s,"]/.test(v)) return v;
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The Activity Logs address of a search. */
export const searchHref = (q: string): string => `/activity?q=${encodeURIComponent(q)}`;

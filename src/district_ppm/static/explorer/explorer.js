// District PPM's GraphiQL page: every asset comes from this service, nothing from a CDN.
//
// `make run` prints an address ending in `#token=<demo token>`. The fragment never leaves the
// browser (no server or proxy log sees it); it becomes the Authorization header and is then
// removed from the address bar. Headers are not persisted to localStorage, so a token does
// not outlive the tab.
(function () {
  "use strict";

  var FIRST_QUERY = [
    "# Your district and its first schools.",
    "# Ctrl-Enter (or the play button) runs it; Ctrl-Space completes.",
    "{",
    "  me { role district { name schoolCount } }",
    "  schools(first: 3) { totalCount edges { node { name level enrollment } } }",
    "}",
    "",
  ].join("\n");

  function tokenFromFragment() {
    var fragment = new URLSearchParams(window.location.hash.slice(1));
    var token = fragment.get("token");
    if (token) {
      window.history.replaceState(null, "", window.location.pathname + window.location.search);
    }
    return token;
  }

  var token = tokenFromFragment();
  var headers = token ? JSON.stringify({ Authorization: "Bearer " + token }, null, 2) : undefined;

  var fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: FIRST_QUERY,
      headers: headers,
      defaultEditorToolsVisibility: token ? "headers" : true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    })
  );
})();

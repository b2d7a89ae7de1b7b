// Starts Swagger UI (swagger-ui/, shipped with openidv) on the OpenAPI document named by this script's
// data-openapi attribute. A separate file rather than an inline script, so a strict Content-Security-Policy
// (script-src 'self') allows it. No request leaves the server's own origin: the validator badge is off.
(function () {
  var script = document.currentScript;
  window.ui = SwaggerUIBundle({
    url: script.dataset.openapi,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    validatorUrl: null,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    showExtensions: false,
    tryItOutEnabled: false,
  });
})();

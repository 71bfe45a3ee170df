// The API explorer: Swagger UI (a WebJar served by Herald, no CDN) over /openapi.json.
window.addEventListener("DOMContentLoaded", () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null, // nothing leaves this server
    deepLinking: false,
    defaultModelsExpandDepth: 0,
    docExpansion: "none",
  });
});

// Starts Swagger UI with the settings the page carries as JSON (api/templates/swagger_ui.html).
window.onload = function () {
  var config = JSON.parse(document.getElementById("swagger-ui-config").textContent);
  window.ui = SwaggerUIBundle(config);
};

package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.server.SmcClient.Response;
import java.net.URI;
import java.net.http.HttpRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Replays, in order, the exact requests smc-python 1.0.31 sends (SMC-API.md §1-§5): a session
 * from login to logout, with its quirks (GET bodies, the Etag header on PUT, lower-case if-match
 * on DELETE, capitalised booleans, the lms_login query string).
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(Backend.class)
class SmcPythonReplayTest {
  @Parameter Backend backend;

  @Test
  void apiKeySession_fromDiscoveryToLogout() throws Exception {
    try (TestServer server = TestServer.start(backend)) {
      SmcClient py = new SmcClient(server.url(), "7.2");
      // 1. version discovery: plain GET, no cookie, no body
      Response api = py.send(HttpRequest.newBuilder(URI.create(server.url("/api"))).GET());
      assertThat(api.status()).isEqualTo(200);
      String version = api.json().get("version").get(0).get("rel").asText();
      String[] parts = version.split("\\.");
      assertThat(parts).hasSize(2); // smc-python does int(a), int(b) = v.split('.')
      Integer.parseInt(parts[0]);
      Integer.parseInt(parts[1]);
      // 2. login: lower-case content-type, always a domain
      Response login = py.post("/login", "{\"domain\": \"Shared Domain\", \"authenticationkey\": \"" + TestServer.API_KEY + "\"}");
      assertThat(login.status()).isEqualTo(200);
      assertThat(login.header("Set-Cookie")).startsWith("JSESSIONID=");
      assertThat(login.header("Authorization")).isNull(); // cookie mode only
      // 3. entry points, GET with the cookie and a {} body
      Response eps = py.get("/api");
      assertThat(eps.status()).isEqualTo(200);
      String currentUser = null;
      String hostEp = null;
      String elementsEp = null;
      String logoutEp = null;
      for (JsonNode e : eps.json().get("entry_point")) {
        switch (e.get("rel").asText()) {
          case "current_user" -> currentUser = e.get("href").asText();
          case "host" -> hostEp = e.get("href").asText();
          case "elements" -> elementsEp = e.get("href").asText();
          case "logout" -> logoutEp = e.get("href").asText();
          default -> { }
        }
      }
      // 4-5. current_user, then the user element itself (its name names the session)
      Response cu = py.getUrl(currentUser);
      assertThat(cu.status()).isIn(200, 201);
      Response user = py.getUrl(cu.json().get("value").asText());
      assertThat(user.status()).isEqualTo(200);
      assertThat(user.json().get("name").asText()).isEqualTo("herald");
      // Host.create(name='h1', address='1.1.1.1', comment='c')
      Response created = py.postUrl(hostEp, "{\"name\": \"h1\", \"address\": \"1.1.1.1\", \"ipv6_address\": null, "
          + "\"secondary\": [], \"tools_profile_ref\": null, \"comment\": \"c\"}");
      assertThat(created.status()).isIn(200, 201, 202, 204);
      String href = created.header("Location");
      assertThat(href).isNotNull();
      // Host('h1').href → search through the elements entry point with capitalised booleans
      Response meta = py.getUrl(elementsEp + "?filter=h1&filter_context=host&exact_match=True");
      JsonNode result = meta.json().get("result");
      assertThat(result).hasSize(1);
      assertThat(result.get(0).get("href").asText()).isEqualTo(href);
      assertThat(result.get(0).get("type").asText()).isEqualTo("host");
      // Host.objects.filter('h1', exact_match=False) (a bare "h" also finds SMC's built-in Localhost)
      assertThat(py.getUrl(hostEp + "?filter=h1&exact_match=False&case_sensitive=True").json().get("result")).hasSize(1);
      // element.update(address='2.2.2.2'): the whole cached JSON back, ETag under "Etag"
      Response cached = py.getUrl(href);
      ObjectNode body = (ObjectNode) cached.json();
      body.put("address", "2.2.2.2");
      Response updated = py.put(href, body.toString(), cached.header("ETag"));
      assertThat(updated.status()).isIn(200, 202); // 201 and 204 would be failures for smc-python
      assertThat(py.getUrl(href).json().get("address").asText()).isEqualTo("2.2.2.2");
      // element.delete(): lower-case if-match, no Content-Type, no body
      Response deleted = py.delete(href, py.getUrl(href).header("ETag"));
      assertThat(deleted.status()).isIn(200, 204);
      // Event.element on a deleted href: 404, so smc-python returns the raw href
      assertThat(py.getUrl(href).status()).isEqualTo(404);
      // logout: PUT with the cookie only, no body, no Content-Type
      Response out = py.send(HttpRequest.newBuilder(URI.create(logoutEp)).PUT(HttpRequest.BodyPublishers.noBody()));
      assertThat(out.status()).isEqualTo(204);
    }
  }

  @Test
  void lmsLogin_withQueryStringCredentials() throws Exception {
    try (TestServer server = TestServer.start(backend)) {
      SmcClient py = new SmcClient(server.url(), "7.2");
      Response r = py.post("/lms_login?login=admin&pwd=" + TestServer.ADMIN_PASSWORD + "&domain=Shared+Domain",
          "{\"domain\": \"Shared Domain\"}");
      assertThat(r.status()).isEqualTo(200);
      assertThat(py.get("/elements/host").status()).isEqualTo(200);
    }
  }

  @Test
  void repeatedLoginFailures_areThrottledWith429() throws Exception {
    try (TestServer server = TestServer.start(backend)) {
      SmcClient py = new SmcClient(server.url(), "7.2");
      for (int i = 0; i < 10; i++) {
        assertThat(py.post("/login", "{\"domain\": \"Shared Domain\", \"authenticationkey\": \"wrong-" + i + "\"}").status()).isEqualTo(401);
      }
      Response limited = py.post("/login", "{\"domain\": \"Shared Domain\", \"authenticationkey\": \"" + TestServer.API_KEY + "\"}");
      assertThat(limited.status()).isEqualTo(429);
      assertThat(limited.header("Retry-After")).matches("\\d+");
    }
  }
}

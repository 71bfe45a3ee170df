package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.server.SmcClient.Response;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Administrators and API clients as smc-python's administration module drives them: create,
 * change a password, generate one, disable and enable — each checked by logging in.
 */
class AdministrationTest {
  static TestServer server;
  static SmcClient py;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    py = SmcClient.loggedIn(server);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private static String link(String href, String rel) throws Exception {
    for (JsonNode l : py.getUrl(href).json().get("link")) {
      if (l.get("rel").asText().equals(rel)) {
        return l.get("href").asText();
      }
    }
    throw new AssertionError("no link " + rel);
  }

  private static Response put(String url) throws Exception {
    return py.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString("{}")));
  }

  private static int passwordLogin(String login, String pwd) throws Exception {
    SmcClient c = new SmcClient(server.url(), "7.2");
    return c.post("/lms_login?login=" + URLEncoder.encode(login, StandardCharsets.UTF_8) + "&pwd="
        + URLEncoder.encode(pwd, StandardCharsets.UTF_8), "{}").status();
  }

  private static int keyLogin(String key) throws Exception {
    SmcClient c = new SmcClient(server.url(), "7.2");
    return c.post("/login", "{\"authenticationkey\":\"" + key + "\"}").status();
  }

  @Test
  void anAdministrator_changePassword_disable_enable() throws Exception {
    // AdminUser.create(...): smc-python's body
    String href = py.create("admin_user", "{\"name\":\"auditor\",\"enabled\":true,\"allow_sudo\":false,"
        + "\"console_superuser\":false,\"allowed_to_login_in_shared\":true,\"engine_target\":[],\"local_admin\":false,"
        + "\"superuser\":true,\"can_use_api\":true,\"comment\":null,\"permissions\":{\"permission\":[]},"
        + "\"ldap_user\":null,\"ldap_group\":null}");
    // change_password(pw): PUT ?password=, body {}
    assertThat(put(link(href, "change_password") + "?password=first-password-01").status()).isEqualTo(200);
    assertThat(passwordLogin("auditor", "first-password-01")).isEqualTo(200);
    assertThat(put(link(href, "change_password") + "?password=second-password-02").status()).isEqualTo(200);
    assertThat(passwordLogin("auditor", "first-password-01")).isEqualTo(401);
    assertThat(passwordLogin("auditor", "second-password-02")).isEqualTo(200);
    // password_meta_data: creation_date is set once a password was changed
    assertThat(py.getUrl(link(href, "pwd_meta_data")).json().get("creation_date").asLong()).isPositive();
    // too short: refused, the password stays
    assertThat(put(link(href, "change_password") + "?password=short").status()).isEqualTo(400);
    assertThat(passwordLogin("auditor", "second-password-02")).isEqualTo(200);

    // enable_disable(): PUT the whole user JSON, no Etag; toggles
    String toggle = link(href, "enable_disable");
    Response off = py.send(HttpRequest.newBuilder(URI.create(toggle)).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(py.getUrl(href).body())));
    assertThat(off.status()).isEqualTo(200);
    assertThat(py.getUrl(href).json().get("enabled").asBoolean()).isFalse();
    assertThat(passwordLogin("auditor", "second-password-02")).isEqualTo(401);
    assertThat(put(toggle).status()).isEqualTo(200);
    assertThat(py.getUrl(href).json().get("enabled").asBoolean()).isTrue();
    assertThat(passwordLogin("auditor", "second-password-02")).isEqualTo(200);
    // unlock_account: Herald slows failed logins rather than locking; it answers
    assertThat(put(link(href, "unlock_account") + "?unlock_reason=test").status()).isEqualTo(200);
  }

  @Test
  void aLocalAdministrator_changesItsEnginePassword_whichIsNotItsLoginPassword() throws Exception {
    String href = py.create("admin_user", "{\"name\":\"engineer\",\"enabled\":true,\"local_admin\":true,"
        + "\"allow_sudo\":true,\"engine_target\":[],\"superuser\":true,\"permissions\":{\"permission\":[]}}");
    assertThat(put(link(href, "change_password") + "?password=login-password-01").status()).isEqualTo(200);
    try (WsClient ws = WsClient.open(py)) {
      ws.subscribe("{\"context\":\"admin_user\"}");
      // change_engine_password(password): PUT ?password=, body {}
      assertThat(put(link(href, "change_engine_password") + "?password=engine-password-01").status()).isEqualTo(200);
      assertThat(ws.next()).contains("\"type\":\"update\"").contains(href);
    }
    assertThat(py.getUrl(href).body()).doesNotContain("engine-password-01");
    // the administrator's own change: its session goes on (not a login credential)
    SmcClient engineer = new SmcClient(server.url(), "7.2");
    assertThat(engineer.post("/lms_login?login=engineer&pwd=login-password-01", "{}").status()).isEqualTo(200);
    assertThat(engineer.send(HttpRequest.newBuilder(URI.create(link(href, "change_engine_password") + "?password=engine-password-03"))
        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{}"))).status()).isEqualTo(200);
    assertThat(engineer.get("/system/current_user").status()).isEqualTo(200);
    assertThat(passwordLogin("engineer", "engine-password-01")).isEqualTo(401);
    assertThat(passwordLogin("engineer", "login-password-01")).isEqualTo(200);
    assertThat(put(link(href, "change_engine_password") + "?password=short").status()).isEqualTo(400);
    assertThat(put(link(href, "change_engine_password")).status()).isEqualTo(400);
    // not a local administrator: no engine password
    String other = py.create("admin_user", "{\"name\":\"desk\",\"enabled\":true,\"local_admin\":false,"
        + "\"superuser\":true,\"permissions\":{\"permission\":[]}}");
    Response refused = put(link(other, "change_engine_password") + "?password=engine-password-02");
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.body()).contains("local_admin");
  }

  @Test
  void anApiClient_getsItsKey_byChangePassword_orGeneratePassword() throws Exception {
    String href = py.create("api_client", "{\"enabled\":true,\"name\":\"automation\",\"superuser\":true,"
        + "\"allowed_to_login_in_shared\":true,\"permissions\":{\"permission\":[]}}");
    String key = "automation-key-0123456789";
    assertThat(put(link(href, "change_password") + "?password=" + key).status()).isEqualTo(200);
    assertThat(keyLogin(key)).isEqualTo(200);
    // generate_password(): {"value": [password]}, the client returns value[0]
    Response gen = put(link(href, "generate_password"));
    assertThat(gen.status()).isEqualTo(200);
    String generated = gen.json().get("value").get(0).asText();
    assertThat(generated).hasSizeGreaterThanOrEqualTo(16);
    assertThat(keyLogin(generated)).isEqualTo(200);
    assertThat(keyLogin(key)).isEqualTo(401);
  }

  @Test
  void onlyASuperuser_disablesOthers_butAUserChangesItsOwnPassword() throws Exception {
    String viewer = py.get("/elements/role?filter=Viewer&exact_match=True").json().get("result").get(0).get("href").asText();
    String shared = py.get("/elements/admin_domain?filter=Shared%20Domain&exact_match=True").json().get("result").get(0).get("href").asText();
    String href = py.create("admin_user", "{\"name\":\"watcher\",\"enabled\":true,\"superuser\":false,"
        + "\"allowed_to_login_in_shared\":true,\"password\":\"watcher-password-1\",\"permissions\":{\"permission\":["
        + "{\"granted_elements\":[],\"role_ref\":\"" + viewer + "\",\"granted_domain_ref\":\"" + shared + "\"}]}}");
    SmcClient watcher = new SmcClient(server.url(), "7.2");
    assertThat(watcher.post("/lms_login?login=watcher&pwd=watcher-password-1", "{}").status()).isEqualTo(200);
    String other = py.create("admin_user", "{\"name\":\"someone\",\"enabled\":true,\"superuser\":true}");
    Response refused = watcher.send(HttpRequest.newBuilder(URI.create(other + "/enable_disable"))
        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{}")));
    assertThat(refused.status()).isEqualTo(403);
    assertThat(py.getUrl(other).json().get("enabled").asBoolean()).isTrue();
    Response own = watcher.send(HttpRequest.newBuilder(URI.create(href + "/change_password?password=watcher-password-2"))
        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{}")));
    assertThat(own.status()).isEqualTo(200);
    // the change ended its sessions: it logs in again with the new password
    assertThat(watcher.get("/elements/host").status()).isEqualTo(401);
    assertThat(watcher.post("/lms_login?login=watcher&pwd=watcher-password-2", "{}").status()).isEqualTo(200);
    Response others = watcher.send(HttpRequest.newBuilder(URI.create(other + "/change_password?password=taken-over-123"))
        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{}")));
    assertThat(others.status()).isEqualTo(403);
  }
}

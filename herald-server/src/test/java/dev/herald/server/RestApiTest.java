package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.server.SmcClient.Response;
import java.net.URI;
import java.net.http.HttpRequest;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The SMC REST surface against a real server on a free port, with the JDK HttpClient. */
@ParameterizedClass(name = "on {0}")
@EnumSource(Backend.class)
class RestApiTest {
  @Parameter Backend backend;
  static TestServer server;
  static SmcClient smc;

  @BeforeParameterizedClassInvocation
  static void start(Backend backend) throws Exception {
    server = TestServer.start(backend);
    smc = SmcClient.loggedIn(server);
  }

  @AfterParameterizedClassInvocation
  static void stop() throws Exception {
    server.close();
  }

  private static String unique(String prefix) {
    return prefix + "-" + System.nanoTime();
  }

  @Test
  void apiVersions_areMajorMinor_andNeedNoSession() throws Exception {
    Response r = new SmcClient(server.url(), "7.2").getUrl(server.url("/api"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Content-Type")).isEqualTo("application/json");
    JsonNode versions = r.json().get("version");
    assertThat(versions).isNotEmpty();
    for (JsonNode v : versions) {
      assertThat(v.get("rel").asText()).matches("\\d+\\.\\d+");
      assertThat(v.get("href").asText()).endsWith("/" + v.get("rel").asText() + "/api");
    }
  }

  @Test
  void healthAndReadiness_needNoSession_andReportTheDatabaseAndFeed() throws Exception {
    SmcClient anon = new SmcClient(server.url(), "7.2");
    Response health = anon.getUrl(server.url("/health"));
    assertThat(health.status()).isEqualTo(200);
    assertThat(health.json().get("status").asText()).isEqualTo("UP");
    smc.create("host", "{\"name\":\"" + unique("ready") + "\",\"address\":\"10.0.0.1\"}");
    org.awaitility.Awaitility.await().until(() -> anon.getUrl(server.url("/ready")).status() == 200);
    Response ready = anon.getUrl(server.url("/ready"));
    // it says which part is not ready, and nothing about the data (no seq, no counts)
    assertThat(ready.json().properties()).extracting(java.util.Map.Entry::getKey)
        .containsExactlyInAnyOrder("status", "database", "change_feed", "memory");
    assertThat(ready.status()).isEqualTo(200);
    assertThat(ready.json().get("status").asText()).isEqualTo("READY");
    assertThat(ready.json().get("database").asText()).isEqualTo("UP");
    assertThat(ready.json().get("change_feed").asText()).isEqualTo("CAUGHT_UP");
  }

  @Test
  void entryPoints_haveOnlyHrefRelMethod_andListEveryRelName() throws Exception {
    Response r = smc.get("/api");
    assertThat(r.status()).isEqualTo(200);
    JsonNode eps = r.json().get("entry_point");
    assertThat(eps.size()).isGreaterThanOrEqualTo(305 + 5);
    java.util.Set<String> rels = new java.util.HashSet<>();
    for (JsonNode e : eps) {
      e.fieldNames().forEachRemaining(f -> assertThat(f).isIn("href", "rel", "method"));
      rels.add(e.get("rel").asText());
    }
    assertThat(rels).contains("elements", "login", "lms_login", "logout", "current_user", "host",
        "router", "network", "admin_user", "api_client", "fw_policy", "tcp_service");
  }

  @Test
  void everyJsonAnswer_hasExactContentType_includingErrors() throws Exception {
    assertThat(smc.get("/elements/host").header("Content-Type")).isEqualTo("application/json");
    assertThat(smc.get("/elements/nosuchtype").header("Content-Type")).isEqualTo("application/json");
    assertThat(smc.post("/elements/host", "{bad").header("Content-Type")).isEqualTo("application/json");
  }

  @Test
  void create_returns201WithLocation_andGetReturnsElementWithEtag() throws Exception {
    String name = unique("h");
    Response c = smc.post("/elements/host", "{\"name\":\"" + name + "\",\"address\":\"10.1.2.3\","
        + "\"ipv6_address\":null,\"secondary\":[],\"tools_profile_ref\":null,\"comment\":\"c\"}");
    assertThat(c.status()).isEqualTo(201);
    String href = c.header("Location");
    assertThat(href).matches("http://127\\.0\\.0\\.1:\\d+/7\\.2/elements/host/\\d+");
    Response g = smc.getUrl(href);
    assertThat(g.status()).isEqualTo(200);
    assertThat(g.header("ETag")).startsWith("\"").endsWith("\"");
    JsonNode e = g.json();
    assertThat(e.get("name").asText()).isEqualTo(name);
    assertThat(e.get("address").asText()).isEqualTo("10.1.2.3");
    assertThat(e.get("key").asLong()).isEqualTo(Long.parseLong(href.substring(href.lastIndexOf('/') + 1)));
    assertThat(e.get("system").asBoolean()).isFalse();
    JsonNode self = e.get("link").get(0);
    assertThat(self.get("rel").asText()).isEqualTo("self");
    assertThat(self.get("href").asText()).isEqualTo(href);
    assertThat(self.get("type").asText()).isEqualTo("host");
  }

  @Test
  void keys_areUniqueAcrossTypes() throws Exception {
    String h = smc.create("host", "{\"name\":\"" + unique("h") + "\",\"address\":\"1.1.1.1\"}");
    String r = smc.create("router", "{\"name\":\"" + unique("r") + "\",\"address\":\"1.1.1.2\"}");
    assertThat(h.substring(h.lastIndexOf('/'))).isNotEqualTo(r.substring(r.lastIndexOf('/')));
  }

  @Test
  void hrefs_useTheVersionOfTheRequest() throws Exception {
    String href = smc.create("host", "{\"name\":\"" + unique("h") + "\",\"address\":\"1.1.1.1\"}");
    String key = href.substring(href.lastIndexOf('/') + 1);
    for (String v : new String[] {"7.2.1", "6.5", "7.2"}) {
      Response g = smc.getUrl(server.url("/" + v + "/elements/host/" + key));
      assertThat(g.status()).isEqualTo(200);
      assertThat(g.json().get("link").get(0).get("href").asText())
          .isEqualTo(server.url("/" + v + "/elements/host/" + key));
    }
    assertThat(smc.getUrl(server.url("/9.9/elements/host/" + key)).status()).isEqualTo(404);
  }

  @Test
  void update_withEtagHeader_returns200_andStaleEtagIs412_andMissingIs428() throws Exception {
    String href = smc.create("host", "{\"name\":\"" + unique("h") + "\",\"address\":\"1.1.1.1\"}");
    Response g = smc.getUrl(href);
    String etag = g.header("ETag");
    JsonNode full = g.json();
    ((com.fasterxml.jackson.databind.node.ObjectNode) full).put("address", "2.2.2.2");
    Response u = smc.put(href, full.toString(), etag);
    assertThat(u.status()).isEqualTo(200);
    assertThat(u.header("ETag")).isNotEqualTo(etag);
    assertThat(smc.getUrl(href).json().get("address").asText()).isEqualTo("2.2.2.2");

    Response stale = smc.put(href, full.toString(), etag);
    assertThat(stale.status()).isEqualTo(412);
    assertThat(stale.json().get("message").asText()).startsWith("Impossible to update the element");

    Response missing = smc.put(href, full.toString(), null);
    assertThat(missing.status()).isEqualTo(428);

    // If-Match works too
    Response cur = smc.getUrl(href);
    Response viaIfMatch = smc.send(HttpRequest.newBuilder(URI.create(href))
        .header("Content-Type", "application/json").header("If-Match", cur.header("ETag"))
        .PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + unique("h") + "\",\"address\":\"3.3.3.3\"}")));
    assertThat(viaIfMatch.status()).isEqualTo(200);
  }

  @Test
  void delete_returns204_thenGetIs404_andStaleIfMatchIs412() throws Exception {
    String href = smc.create("host", "{\"name\":\"" + unique("h") + "\",\"address\":\"1.1.1.1\"}");
    String etag = smc.getUrl(href).header("ETag");
    assertThat(smc.delete(href, "\"bm9wZQ\"").status()).isEqualTo(412);
    assertThat(smc.getUrl(href).status()).isEqualTo(200);
    assertThat(smc.delete(href, etag).status()).isEqualTo(204);
    assertThat(smc.getUrl(href).status()).isEqualTo(404);
    assertThat(smc.delete(href, etag).status()).isEqualTo(404);
  }

  @Test
  void search_filtersByNameSubstring_exactMatch_caseSensitivity_context_andLimit() throws Exception {
    String tag = "srch" + System.nanoTime();
    smc.create("host", "{\"name\":\"" + tag + "-Alpha\",\"address\":\"10.9.9.1\"}");
    smc.create("host", "{\"name\":\"" + tag + "-beta\",\"address\":\"10.9.9.2\"}");
    smc.create("network", "{\"name\":\"" + tag + "-net\",\"ipv4_network\":\"10.9.0.0/16\"}");

    JsonNode sub = smc.get("/elements/host?filter=" + tag + "&exact_match=False&case_sensitive=True").json().get("result");
    assertThat(sub).hasSize(2);
    for (JsonNode item : sub) {
      java.util.List<String> fields = new java.util.ArrayList<>();
      item.fieldNames().forEachRemaining(fields::add);
      assertThat(fields).containsExactlyInAnyOrder("name", "href", "type");
    }
    assertThat(smc.get("/elements/host?filter=" + tag + "-alpha&exact_match=True&case_sensitive=True").json().get("result")).isEmpty();
    assertThat(smc.get("/elements/host?filter=" + tag + "-alpha&exact_match=True&case_sensitive=False").json().get("result")).hasSize(1);
    assertThat(smc.get("/elements?filter=" + tag + "-Alpha&filter_context=host&exact_match=True").json().get("result")).hasSize(1);
    assertThat(smc.get("/elements?filter=" + tag + "&filter_context=router,host").json().get("result")).hasSize(2);
    assertThat(smc.get("/elements?filter=" + tag + "&filter_context=network_elements").json().get("result")).hasSize(3);
    assertThat(smc.get("/elements?filter=" + tag + "&limit=1").json().get("result")).hasSize(1);
    // a filter on an address finds the element (smc-python's filter(address=...) relies on it)
    assertThat(smc.get("/elements/host?filter=10.9.9.2").json().get("result")).hasSize(1);
    // empty result keeps its shape
    assertThat(smc.get("/elements/host?filter=nothing-matches-" + tag).body()).isEqualTo("{\"result\":[]}");
  }

  @Test
  void badQueryParameters_get400() throws Exception {
    assertThat(smc.get("/elements/host?limit=abc").status()).isEqualTo(400);
    assertThat(smc.get("/elements/host?limit=0").status()).isEqualTo(400);
    assertThat(smc.get("/elements/host?exact_match=maybe").status()).isEqualTo(400);
    Response r = smc.get("/elements?filter_context=nosuchtype");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("details").get(0).asText()).contains("nosuchtype");
  }

  @Test
  void badInput_getsClearErrors_andChangesNothing() throws Exception {
    long head = server.server().changeLogHead();
    Response malformed = smc.post("/elements/host", "{\"name\": ");
    assertThat(malformed.status()).isEqualTo(400);
    assertThat(malformed.json().get("message").asText()).contains("Invalid JSON");
    assertThat(smc.post("/elements/host", "[1,2]").status()).isEqualTo(400);
    assertThat(smc.post("/elements/host", "{\"address\":\"1.1.1.1\"}").json().get("details").get(0).asText())
        .contains("name is required");
    assertThat(smc.post("/elements/host", "{\"name\":5,\"address\":\"1.1.1.1\"}").status()).isEqualTo(400);
    Response badAddr = smc.post("/elements/host", "{\"name\":\"x\",\"address\":\"300.1.1.1\"}");
    assertThat(badAddr.status()).isEqualTo(400);
    assertThat(badAddr.json().get("details").get(0).asText()).contains("not a valid IPv4 address");
    assertThat(smc.post("/elements/host", "{\"name\":\"x\",\"address\":\"example.com\"}").status()).isEqualTo(400);
    assertThat(smc.post("/elements/host", "{\"name\":\"x\"}").status()).isEqualTo(400);
    assertThat(smc.post("/elements/network", "{\"name\":\"x\",\"ipv4_network\":\"10.0.0.1/24\"}").status()).isEqualTo(400);
    assertThat(smc.post("/elements/address_range", "{\"name\":\"x\",\"ip_range\":\"10.0.0.9-10.0.0.1\"}").status()).isEqualTo(400);
    assertThat(smc.post("/elements/tcp_service", "{\"name\":\"x\",\"min_dst_port\":70000}").status()).isEqualTo(400);
    assertThat(smc.post("/elements/tcp_service", "{\"name\":\"x\",\"min_dst_port\":80,\"max_dst_port\":79}").status()).isEqualTo(400);
    assertThat(smc.post("/elements/domain_name", "{\"name\":\"not a domain\"}").status()).isEqualTo(400);
    assertThat(smc.post("/elements/group", "{\"name\":\"x\",\"element\":[\"" + smc.v("/elements/host/999999") + "\"]}").status()).isEqualTo(400);
    Response unknownType = smc.post("/elements/hots", "{\"name\":\"x\"}");
    assertThat(unknownType.status()).isEqualTo(404);
    assertThat(unknownType.json().get("message").asText()).contains("hots");
    assertThat(smc.get("/elements/host/notanumber").status()).isEqualTo(404);
    assertThat(smc.get("/elements/host/99999999").status()).isEqualTo(404);
    assertThat(server.server().changeLogHead()).isEqualTo(head);
  }

  @Test
  void duplicateName_isRejectedWithSmcWording() throws Exception {
    String name = unique("dup");
    smc.create("host", "{\"name\":\"" + name + "\",\"address\":\"1.1.1.1\"}");
    long head = server.server().changeLogHead();
    Response r = smc.post("/elements/host", "{\"name\":\"" + name + "\",\"address\":\"1.1.1.2\"}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("message").asText()).isEqualTo("Impossible to store the element " + name + ".");
    assertThat(r.json().get("details").get(0).asText()).isEqualTo("Element name " + name + " is already used.");
    assertThat(server.server().changeLogHead()).isEqualTo(head);
    // the same name is fine for another type
    assertThat(smc.post("/elements/router", "{\"name\":\"" + name + "\",\"address\":\"1.1.1.2\"}").status()).isEqualTo(201);
  }

  @Test
  void oversizedBody_is413_andChangesNothing() throws Exception {
    long head = server.server().changeLogHead();
    String big = "{\"name\":\"big\",\"address\":\"1.1.1.1\",\"comment\":\"" + "x".repeat(1_100_000) + "\"}";
    // each on a connection of its own: the server closes it after its answer
    Response refused = smc.sendAlone(HttpRequest.newBuilder(URI.create(smc.v("/elements/host")))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(big)));
    assertThat(refused.status()).isEqualTo(413);
    // the rest of the body is unknown: the connection is not reused by the client
    assertThat(refused.header("Connection")).isEqualToIgnoringCase("close");
    // chunked, without Content-Length
    Response chunked = smc.sendAlone(HttpRequest.newBuilder(URI.create(smc.v("/elements/host")))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big.getBytes()))));
    assertThat(chunked.status()).isEqualTo(413);
    // Expect: 100-continue: refused before the body is sent
    Response expecting = smc.sendAlone(HttpRequest.newBuilder(URI.create(smc.v("/elements/host")))
        .header("Content-Type", "application/json").expectContinue(true)
        .POST(HttpRequest.BodyPublishers.ofString(big)));
    assertThat(expecting.status()).isEqualTo(413);
    assertThat(server.server().changeLogHead()).isEqualTo(head);
  }

  @Test
  void withoutSession_elementCallsAre401_andPermissionProblemsAreNot() throws Exception {
    SmcClient anon = new SmcClient(server.url(), "7.2");
    assertThat(anon.get("/elements/host").status()).isEqualTo(401);
    assertThat(anon.post("/elements/host", "{\"name\":\"x\",\"address\":\"1.1.1.1\"}").status()).isEqualTo(401);
    Response bad = anon.post("/login", "{\"domain\":\"Shared Domain\",\"authenticationkey\":\"wrong-key-123\"}");
    assertThat(bad.status()).isEqualTo(401);
    Response badDomain = anon.post("/login", "{\"domain\":\"No Such Domain\",\"authenticationkey\":\"" + TestServer.API_KEY + "\"}");
    assertThat(badDomain.status()).isEqualTo(403);
  }

  @Test
  void loginSetsHttpOnlyJsessionid_currentUserPointsAtTheApiClient_logoutIs204() throws Exception {
    SmcClient c = new SmcClient(server.url(), "7.2");
    Response login = c.post("/login", "{\"domain\":\"Shared Domain\",\"authenticationkey\":\"" + TestServer.API_KEY + "\"}");
    assertThat(login.status()).isEqualTo(200);
    String setCookie = login.header("Set-Cookie");
    assertThat(setCookie).startsWith("JSESSIONID=").contains("Path=/").contains("HttpOnly").contains("SameSite");
    assertThat(setCookie.substring("JSESSIONID=".length(), setCookie.indexOf(';')).length()).isGreaterThanOrEqualTo(22);
    Response cu = c.get("/system/current_user");
    assertThat(cu.status()).isEqualTo(200);
    String userHref = cu.json().get("value").asText();
    Response user = c.getUrl(userHref);
    assertThat(user.status()).isEqualTo(200);
    assertThat(user.json().get("name").asText()).isEqualTo("herald");
    assertThat(user.json().get("link").get(0).get("type").asText()).isEqualTo("api_client");
    assertThat(user.body()).doesNotContain("authentication").doesNotContain("pbkdf2");

    Response out = c.send(HttpRequest.newBuilder(URI.create(c.v("/logout"))).PUT(HttpRequest.BodyPublishers.noBody()));
    assertThat(out.status()).isEqualTo(204);
    assertThat(c.get("/elements/host").status()).isEqualTo(401);
  }

  @Test
  void lmsLogin_takesCredentialsFromTheQueryString() throws Exception {
    SmcClient c = new SmcClient(server.url(), "7.2");
    Response r = c.post("/lms_login?login=admin&pwd=" + TestServer.ADMIN_PASSWORD + "&domain=Shared%20Domain",
        "{\"domain\": \"Shared Domain\"}");
    assertThat(r.status()).isEqualTo(200);
    String userHref = c.get("/system/current_user").json().get("value").asText();
    assertThat(c.getUrl(userHref).json().get("link").get(0).get("type").asText()).isEqualTo("admin_user");
    assertThat(new SmcClient(server.url(), "7.2").post("/lms_login?login=admin&pwd=wrong-password", "{}").status()).isEqualTo(401);
  }

  @Test
  void trashUntrashAndValidate_areActionLinks() throws Exception {
    String href = smc.create("host", "{\"name\":\"" + unique("t") + "\",\"address\":\"1.1.1.1\"}");
    JsonNode links = smc.getUrl(href).json().get("link");
    String trash = null;
    for (JsonNode l : links) {
      if (l.get("rel").asText().equals("trash")) {
        trash = l.get("href").asText();
      }
    }
    assertThat(trash).isEqualTo(href + "/trash");
    long head = server.server().changeLogHead();
    assertThat(smc.postUrl(trash, "{}").status()).isEqualTo(200);
    assertThat(smc.getUrl(href).json().get("trashed").asBoolean()).isTrue();
    assertThat(smc.postUrl(trash, "{}").status()).isEqualTo(400);
    assertThat(smc.postUrl(href + "/untrash", "{}").status()).isEqualTo(200);
    assertThat(server.server().changeLogHead()).isEqualTo(head + 2);

    String policy = smc.create("fw_policy", "{\"name\":\"" + unique("p") + "\"}");
    boolean hasValidate = false;
    for (JsonNode l : smc.getUrl(policy).json().get("link")) {
      hasValidate |= l.get("rel").asText().equals("validate");
    }
    assertThat(hasValidate).isTrue();
    long before = server.server().changeLogHead();
    assertThat(smc.postUrl(policy + "/validate", "{}").status()).isEqualTo(200);
    assertThat(server.server().changeLogHead()).isEqualTo(before + 2);
    assertThat(smc.postUrl(href + "/validate", "{}").status()).isEqualTo(404);
  }

  @Test
  void groups_referenceMembers_andAReferencedElementCannotBeDeleted() throws Exception {
    String h = smc.create("host", "{\"name\":\"" + unique("m") + "\",\"address\":\"1.1.1.1\"}");
    String g = smc.create("group", "{\"name\":\"" + unique("g") + "\",\"element\":[\"" + h + "\"]}");
    Response del = smc.delete(h, null);
    assertThat(del.status()).isEqualTo(400);
    assertThat(del.json().get("details").get(0).asText()).contains("referenced by group");
    assertThat(smc.delete(g, null).status()).isEqualTo(204);
    assertThat(smc.delete(h, null).status()).isEqualTo(204);
    String svc = smc.create("tcp_service", "{\"name\":\"" + unique("s") + "\",\"min_dst_port\":443}");
    Response wrongMember = smc.post("/elements/group", "{\"name\":\"" + unique("g") + "\",\"element\":[\"" + svc + "\"]}");
    assertThat(wrongMember.status()).isEqualTo(400);
    assertThat(wrongMember.json().get("details").get(0).asText()).contains("tcp_service");
  }

  @Test
  void domains_isolateElements_andSharedDomainIsVisibleButReadOnly() throws Exception {
    String dname = unique("dom");
    smc.create("admin_domain", "{\"name\":\"" + dname + "\"}");
    String sharedHost = smc.create("host", "{\"name\":\"" + unique("shared") + "\",\"address\":\"1.1.1.1\"}");
    SmcClient inA = SmcClient.loggedIn(server, "7.2", dname);
    String aHost = inA.create("host", "{\"name\":\"" + unique("a") + "\",\"address\":\"1.1.1.1\"}");
    // Shared Domain cannot see domain A's element; A sees Shared's but cannot change it
    assertThat(smc.getUrl(aHost).status()).isEqualTo(404);
    assertThat(inA.getUrl(sharedHost).status()).isEqualTo(200);
    assertThat(inA.delete(sharedHost, null).status()).isEqualTo(403);
    String dname2 = unique("dom");
    smc.create("admin_domain", "{\"name\":\"" + dname2 + "\"}");
    SmcClient inB = SmcClient.loggedIn(server, "7.2", dname2);
    assertThat(inB.getUrl(aHost).status()).isEqualTo(404);
    assertThat(inB.get("/elements/host?filter=a-").json().get("result").toString()).doesNotContain(aHost);
  }

  @Test
  void systemElements_cannotBeChanged() throws Exception {
    JsonNode shared = smc.get("/elements/admin_domain?filter=Shared%20Domain&exact_match=True").json().get("result").get(0);
    String href = shared.get("href").asText();
    assertThat(smc.getUrl(href).json().get("system").asBoolean()).isTrue();
    Response r = smc.delete(href, null);
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.json().get("details").get(0).asText()).isEqualTo("Cannot modify system element.");
  }

  @Test
  void unknownPathsAndMethods_getJsonErrors() throws Exception {
    assertThat(smc.get("/nothing/here").status()).isEqualTo(404);
    Response m = smc.send(HttpRequest.newBuilder(URI.create(smc.v("/elements/host"))).DELETE());
    assertThat(m.status()).isEqualTo(405);
    assertThat(m.header("Allow")).contains("GET");
  }

  @Test
  void metrics_arePrometheusText_behindTheirToken() throws Exception {
    assertThat(smc.getUrl(server.url("/metrics")).status()).isEqualTo(403);
    assertThat(server.metrics()).contains("herald_http_requests_seconds_count").contains("herald_changelog_head")
        .contains("herald_sessions")
        // the database: reachable, and its connection pool
        .contains("herald_db_reachable 1.0").contains("hikaricp_connections_active{pool=\"herald-db\"}");
  }
}

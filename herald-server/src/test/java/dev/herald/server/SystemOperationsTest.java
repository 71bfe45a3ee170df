package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.SmcClient.Response;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * More of smc-python's {@code System}: {@code massive_delete}, the upcoming events with their
 * policy and ignore settings (smc/examples/upcoming_event.py), and the certificate authorities
 * ({@code smc_certificate_authority}, {@code import_new_certificate_authority_certificate}, a CA's
 * {@code export_certificate} and {@code un_trust}) — the requests it sends, read as it reads them.
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(Backend.class)
class SystemOperationsTest {
  @Parameter Backend backend;
  static TestServer server;
  static SmcClient py;

  @BeforeParameterizedClassInvocation
  static void start(Backend backend) throws Exception {
    server = TestServer.start(backend, b -> b.adminApi(true));
    py = SmcClient.loggedIn(server);
  }

  @AfterParameterizedClassInvocation
  static void stop() throws Exception {
    server.close();
  }

  private static int n;

  private static String unique(String p) {
    return p + "-" + (++n) + "-" + System.nanoTime() % 1_000_000;
  }

  private static String system(String rel) throws Exception {
    for (JsonNode l : py.get("/system").json().get("link")) {
      if (l.get("rel").asText().equals(rel)) {
        return l.get("href").asText();
      }
    }
    throw new AssertionError("system has no link " + rel);
  }

  private static String host(String name, String address) throws Exception {
    return py.create("host", "{\"name\":\"" + name + "\",\"address\":\"" + address + "\"}");
  }

  private static Response massiveDelete(List<String> hrefs) throws Exception {
    ObjectNode body = Json.object();
    ArrayNode res = body.putArray("resource");
    hrefs.forEach(res::add);
    return py.postUrl(system("massive_delete"), body.toString());
  }

  @Test
  void massiveDelete_deletesEveryNamedElement_orNone() throws Exception {
    String a = host(unique("md-a"), "10.61.0.1");
    String b = host(unique("md-b"), "10.61.0.2");
    String g = py.create("group", "{\"name\":\"" + unique("md-g") + "\",\"element\":[\"" + a + "\"]}");
    try (WsClient ws = WsClient.open(py)) {
      ws.subscribe("{\"context\":\"host,group\"}");
      // a is still referred to by g, which stays: nothing is deleted, not even b
      Response refused = massiveDelete(List.of(b, a));
      assertThat(refused.status()).isEqualTo(400);
      assertThat(refused.json().get("details").toString()).contains("group");
      assertThat(py.getUrl(b).status()).isEqualTo(200);
      // an href that names nothing: nothing deleted either
      Response unknown = massiveDelete(List.of(b, server.url() + "/7.2/elements/host/999999999"));
      assertThat(unknown.status()).isEqualTo(400);
      assertThat(py.getUrl(b).status()).isEqualTo(200);
      // a built-in cannot be deleted: the batch stops before any write
      String localhost = py.get("/elements/host?filter=Localhost&exact_match=True").json().get("result").get(0)
          .get("href").asText();
      assertThat(massiveDelete(List.of(b, localhost)).status()).isIn(400, 403);
      assertThat(py.getUrl(b).status()).isEqualTo(200);
      assertThat(massiveDelete(List.of()).status()).isEqualTo(400);
      assertThat(py.postUrl(system("massive_delete"), "{\"resource\":[1]}").status()).isEqualTo(400);

      // the group and its member together: all three go, each with its delete event
      assertThat(massiveDelete(List.of(a, g, b)).status()).isIn(200, 204);
      for (String gone : List.of(a, g, b)) {
        assertThat(py.getUrl(gone).status()).isEqualTo(404);
      }
      List<String> deleted = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        String ev = ws.next();
        assertThat(ev).contains("\"type\":\"delete\"");
        deleted.add(ev);
      }
      assertThat(String.join("\n", deleted)).contains(a, g, b);
    }
  }

  @Test
  void failedLogins_listedAsTemporaryBannedAddresses_andUnlocked() throws Exception {
    try (TestServer own = TestServer.start(backend)) {
      SmcClient root = SmcClient.loggedIn(own);
      // temporary_banned_source_ip_statuses(): make_request(...).get("statuses")
      assertThat(root.get("/system/temporary_banned_ip_statuses").json().get("statuses")).isEmpty();
      SmcClient guesser = new SmcClient(own.url(), "7.2");
      int refused = 0;
      for (int i = 0; i < 12; i++) {
        int status = guesser.post("/login", "{\"authenticationkey\":\"wrong-key-" + i + "\"}").status();
        assertThat(status).isIn(401, 429);
        refused += status == 429 ? 1 : 0;
      }
      assertThat(refused).as("slowed after ten failures").isPositive();
      JsonNode statuses = root.get("/system/temporary_banned_ip_statuses").json().get("statuses");
      assertThat(statuses).hasSize(1);
      JsonNode st = statuses.get(0);
      assertThat(st.get("source_ip").asText()).isEqualTo("127.0.0.1");
      assertThat(st.get("last_failure").asLong()).isBetween(System.currentTimeMillis() - 60_000, System.currentTimeMillis() + 1000);
      assertThat(st.get("banned_until").asLong()).isGreaterThan(st.get("last_failure").asLong());
      // a key that logged in before still gets in from that address: the throttle slows guessing
      assertThat(new SmcClient(own.url(), "7.2").post("/login", "{\"authenticationkey\":\"" + TestServer.API_KEY + "\"}")
          .status()).isEqualTo(200);
      // not a superuser: sees only its own address, may not unlock
      // unlock_temporary_banned_source_ip(override_source_ip=..., unlock_reason=...): PUT with params
      assertThat(root.put(root.v("/system/unlock_source_ip_account?override_source_ip=127.0.0.1&unlock_reason=test"), "{}",
          null).status()).as("smc-python's PUT takes 200 or 202").isEqualTo(200);
      assertThat(root.get("/system/temporary_banned_ip_statuses").json().get("statuses")).isEmpty();
      SmcClient v = sharedViewer(root, own.url());
      assertThat(guesser.post("/login", "{\"authenticationkey\":\"wrong-again\"}").status()).isEqualTo(401);
      assertThat(v.get("/system/temporary_banned_ip_statuses").json().get("statuses")).hasSize(1);
      assertThat(v.put(v.v("/system/unlock_source_ip_account"), "{}", null).status()).isEqualTo(403);
      assertThat(root.get("/system/temporary_banned_ip_statuses").json().get("statuses")).hasSize(1);
    }
  }

  @Test
  void massiveDelete_aPolicyWithItsRule_andAcrossDomains() throws Exception {
    String template = py.get("/elements/fw_template_policy?filter=Firewall+Inspection+Template&exact_match=True").json()
        .get("result").get(0).get("href").asText();
    String pol = py.create("fw_policy", "{\"name\":\"" + unique("md-pol") + "\",\"template\":\"" + template + "\"}");
    Response rule = py.post(pol.substring(pol.indexOf("/elements/")) + "/fw_ipv4_access_rule",
        "{\"action\":{\"action\":[\"allow\"]},\"destinations\":{\"any\":true},\"services\":{\"any\":true},"
            + "\"sources\":{\"any\":true},\"name\":\"md-rule\"}");
    assertThat(rule.status()).as(rule.body()).isEqualTo(201);
    String ruleHref = rule.header("Location");
    try (WsClient ws = WsClient.open(py)) {
      ws.subscribe("{\"context\":\"*\"}");
      // the policy and its own rule named together: each deleted once, one event each
      assertThat(massiveDelete(List.of(ruleHref, pol)).status()).isIn(200, 204);
      List<String> events = new ArrayList<>(List.of(ws.next(), ws.next()));
      assertThat(String.join("\n", events)).contains(ruleHref, pol);
      String probe = host(unique("md-probe"), "10.61.1.1");
      assertThat(ws.next()).as("no second delete of the rule before the next change").contains(probe);
    }
    assertThat(py.getUrl(pol).status()).isEqualTo(404);
    // another domain: a superuser logged in there cannot delete Shared Domain's elements, and
    // Shared Domain does not see that domain's
    String d = unique("md-dom");
    py.create("admin_domain", "{\"name\":\"" + d + "\"}");
    SmcClient inD = SmcClient.loggedIn(server, "7.2", d);
    String shared = host(unique("md-shared"), "10.61.2.1");
    String mine = inD.create("host", "{\"name\":\"" + unique("md-d") + "\",\"address\":\"10.61.2.2\"}");
    ObjectNode body = Json.object();
    body.putArray("resource").add(mine).add(shared);
    assertThat(inD.post("/system/massive_delete", body.toString()).status()).isEqualTo(403);
    assertThat(inD.getUrl(mine).status()).isEqualTo(200);
    assertThat(massiveDelete(List.of(shared, mine)).status()).isEqualTo(400);
    assertThat(py.getUrl(shared).status()).isEqualTo(200);
    assertThat(inD.getUrl(mine).status()).isEqualTo(200);
  }

  /** An api_client with the built-in Viewer role in Shared Domain, created by {@code root}, logged in. */
  private static SmcClient sharedViewer(SmcClient root, String url) throws Exception {
    String shared = root.get("/elements/admin_domain?filter=Shared+Domain&exact_match=True").json().get("result").get(0)
        .get("href").asText();
    String viewer = root.get("/elements/role?filter=Viewer&exact_match=True").json().get("result").get(0).get("href").asText();
    String key = "viewer-key-" + System.nanoTime();
    root.create("api_client", "{\"name\":\"" + unique("viewer") + "\",\"authentication_key\":\"" + key + "\","
        + "\"permissions\":{\"permission\":[{\"granted_domain_ref\":\"" + shared + "\",\"role_ref\":\"" + viewer
        + "\",\"granted_elements\":[]}]}}");
    SmcClient v = new SmcClient(url, "7.2");
    assertThat(v.post("/login", "{\"authenticationkey\":\"" + key + "\"}").status()).isEqualTo(200);
    return v;
  }

  private static String situation(String name) throws Exception {
    JsonNode r = py.get("/elements/situations?filter=" + name.replace(" ", "+") + "&exact_match=True").json().get("result");
    assertThat(r).as("situation %s", name).isNotEmpty();
    return r.get(0).get("href").asText();
  }

  private static Response raise(String json) throws Exception {
    return py.postUrl(server.url() + "/herald/admin/upcoming_events", json);
  }

  @Test
  void upcomingEvents_policy_andIgnoreSettings_asTheExampleDrivesThem() throws Exception {
    String mlc = situation("MLC Certificate expires soon");
    String other = py.create("inspection_situation", "{\"name\":\"" + unique("ue-sit") + "\",\"severity\":1}");
    String impacted = host(unique("ue-host"), "10.62.0.1");
    String resource = host(unique("ue-res"), "10.62.0.2");
    // a fresh Herald has none
    assertThat(py.getUrl(system("upcoming_event")).json().get("events")).isEmpty();
    // raised for the test (SMC's monitoring raises them)
    long soon = System.currentTimeMillis() + 86_400_000L;
    Response raised = raise("{\"situation\":\"" + mlc + "\",\"impacted_element\":\"" + impacted + "\",\"event_date\":"
        + (soon + 1000) + ",\"info\":\"expires in a day\",\"impacted_resources\":[\"" + resource + "\"]}");
    assertThat(raised.status()).as(raised.body()).isEqualTo(201);
    assertThat(raise("{\"situation\":\"" + other + "\",\"impacted_element\":\"" + impacted + "\",\"event_date\":" + soon + "}")
        .status()).isEqualTo(201);
    // not a situation, no such element: refused, nothing raised
    assertThat(raise("{\"situation\":\"" + impacted + "\",\"impacted_element\":\"" + impacted + "\"}").status()).isEqualTo(400);
    assertThat(raise("{\"situation\":\"" + mlc + "\",\"impacted_element\":\"" + impacted + "/nope\"}").status()).isEqualTo(400);

    // UpcomingEvents(make_request("upcoming_event")): data["events"], soonest first, hrefs
    JsonNode events = py.getUrl(system("upcoming_event")).json().get("events");
    assertThat(events).hasSize(2);
    assertThat(events.get(0).get("situation").asText()).isEqualTo(other);
    JsonNode e = events.get(1);
    assertThat(e.get("situation").asText()).isEqualTo(mlc);
    assertThat(e.get("impacted_element").asText()).isEqualTo(impacted);
    assertThat(e.get("impacted_resources").get(0).asText()).isEqualTo(resource);
    assertThat(e.get("event_date").asLong()).isEqualTo(soon + 1000);
    assertThat(e.get("info").asText()).isEqualTo("expires in a day");

    // the policy: GET data["entries"]; update_upcoming_event_policy PUTs {"entries": [entry.data...]}
    String policy = system("upcoming_event_policy");
    assertThat(py.getUrl(policy).json().get("entries")).isEmpty();
    String entries = "{\"entries\":[{\"situation\":\"" + mlc + "\",\"threshold_in_days\":30,\"enabled\":true},"
        + "{\"situation\":\"" + other + "\",\"threshold_in_days\":7,\"enabled\":false}]}";
    assertThat(py.put(policy, entries, null).status()).isEqualTo(200);
    JsonNode stored = py.getUrl(policy).json().get("entries");
    assertThat(stored).hasSize(2);
    assertThat(stored.get(0).get("situation").asText()).isEqualTo(mlc);
    assertThat(stored.get(0).get("threshold_in_days").asInt()).isEqualTo(30);
    assertThat(stored.get(1).get("enabled").asBoolean()).isFalse();
    // a disabled situation's events are left out
    events = py.getUrl(system("upcoming_event")).json().get("events");
    assertThat(events).hasSize(1);
    assertThat(events.get(0).get("situation").asText()).isEqualTo(mlc);
    // bad entries change nothing
    for (String bad : List.of("{\"entries\":[{\"situation\":\"" + mlc + "\",\"threshold_in_days\":-1}]}",
        "{\"entries\":[{\"situation\":\"" + impacted + "\",\"threshold_in_days\":1}]}",
        "{\"entries\":[{\"situation\":\"" + mlc + "\",\"threshold_in_days\":1},{\"situation\":\"" + mlc
            + "\",\"threshold_in_days\":2}]}",
        "{\"entries\":{}}", "[]")) {
      assertThat(py.put(policy, bad, null).status()).as(bad).isEqualTo(400);
    }
    assertThat(py.getUrl(policy).json().get("entries")).isEqualTo(stored);

    // update_upcoming_event_ignore_settings([Situation("MLC Certificate expires soon")]): {"entries": [href]}
    String ignore = system("upcoming_event_ignore_settings");
    assertThat(py.getUrl(ignore).json().get("entries")).isEmpty();
    assertThat(py.put(ignore, "{\"entries\":[\"" + mlc + "\"]}", null).status()).isEqualTo(200);
    assertThat(py.getUrl(ignore).json().get("entries").get(0).asText()).isEqualTo(mlc);
    assertThat(py.getUrl(system("upcoming_event")).json().get("events")).as("ignored by this administrator").isEmpty();
    // another administrator's list is their own
    String key = "ue-admin-key-" + System.nanoTime();
    py.create("api_client", "{\"name\":\"" + unique("ue-admin") + "\",\"authentication_key\":\"" + key
        + "\",\"superuser\":true}");
    SmcClient other2 = new SmcClient(server.url(), "7.2");
    assertThat(other2.post("/login", "{\"authenticationkey\":\"" + key + "\"}").status()).isEqualTo(200);
    assertThat(other2.get("/system/upcoming_event_ignore_settings").json().get("entries")).isEmpty();
    assertThat(other2.get("/system/upcoming_event").json().get("events")).hasSize(1);

    // the impacted element deleted: its events are gone
    assertThat(py.put(ignore, "{\"entries\":[]}", null).status()).isEqualTo(200);
    assertThat(py.delete(impacted, null).status()).isIn(200, 204);
    assertThat(py.getUrl(system("upcoming_event")).json().get("events")).isEmpty();
    // cleared
    assertThat(py.send(HttpRequest.newBuilder(URI.create(server.url() + "/herald/admin/upcoming_events")).DELETE())
        .status()).isEqualTo(204);
  }

  @Test
  void upcomingEvents_areBounded() throws Exception {
    String mlc = situation("MLC Certificate expires soon");
    String h = host(unique("ue-bound"), "10.62.9.1");
    assertThat(py.send(HttpRequest.newBuilder(URI.create(server.url() + "/herald/admin/upcoming_events")).DELETE())
        .status()).isEqualTo(204);
    String one = "{\"situation\":\"" + mlc + "\",\"impacted_element\":\"" + h + "\",\"info\":\"" + "x".repeat(1000) + "\"}";
    for (int i = 0; i < 200; i++) {
      assertThat(raise(one).status()).as("event %d", i).isEqualTo(201);
    }
    Response full = raise(one);
    assertThat(full.status()).isEqualTo(400);
    assertThat(full.body()).contains("200 upcoming events");
    assertThat(py.getUrl(system("upcoming_event")).json().get("events")).hasSize(200);
    assertThat(raise("{\"situation\":\"" + mlc + "\",\"impacted_element\":\"" + h + "\",\"info\":\"" + "x".repeat(1025)
        + "\"}").status()).isEqualTo(400);
    assertThat(py.send(HttpRequest.newBuilder(URI.create(server.url() + "/herald/admin/upcoming_events")).DELETE())
        .status()).isEqualTo(204);
    assertThat(py.getUrl(system("upcoming_event")).json().get("events")).isEmpty();
  }

  @Test
  void upcomingEventPolicy_isASuperusersToChange() throws Exception {
    SmcClient v = sharedViewer(py, server.url());
    JsonNode before = py.get("/system/upcoming_event_policy").json();
    String mlc = situation("MLC Certificate expires soon");
    Response refused = v.put(v.v("/system/upcoming_event_policy"),
        "{\"entries\":[{\"situation\":\"" + mlc + "\",\"threshold_in_days\":3,\"enabled\":true}]}", null);
    assertThat(refused.status()).isEqualTo(403);
    assertThat(py.get("/system/upcoming_event_policy").json()).isEqualTo(before);
    assertThat(v.get("/system/upcoming_event_policy").status()).isEqualTo(200);
  }

  /** A self-signed certificate (a CA's when {@code ca}) as PEM. */
  private static byte[] certificate(String cn, boolean ca, long fromMs, long toMs) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    KeyPair kp = g.generateKeyPair();
    X500Name name = new X500Name("CN=" + cn + ",O=Herald Test");
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(System.nanoTime()),
        new Date(fromMs), new Date(toMs), name, kp.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    byte[] der = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())).getEncoded();
    return ("-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END CERTIFICATE-----\n").getBytes(StandardCharsets.US_ASCII);
  }

  /** requests' multipart: files={"ca_certificate": content}. */
  private static Response importCa(byte[] file) throws Exception {
    return uploadFile(py, system("certificate_authority"), "ca_certificate", "ca_certificate", file);
  }

  @Test
  void certificateAuthorities_imported_listed_exported_andUntrusted() throws Exception {
    long now = System.currentTimeMillis();
    String cn = unique("Herald Test CA");
    byte[] pem = certificate(cn, true, now - 60_000, now + 365L * 86_400_000);
    int before = py.getUrl(system("certificate_authority")).json().size();
    try (WsClient ws = WsClient.open(py)) {
      ws.subscribe("{\"context\":\"certificate_authority\"}");
      Response imported = importCa(pem);
      assertThat(imported.status()).as(imported.body()).isIn(200, 201);
      assertThat(ws.next()).contains("\"type\":\"create\"");
      // smc_certificate_authority(): sub_collection of {name, href, type}
      JsonNode list = py.getUrl(system("certificate_authority")).json();
      assertThat(list).hasSize(before + 1);
      String href = null;
      for (JsonNode ca : list) {
        if (ca.get("name").asText().equals(cn)) {
          href = ca.get("href").asText();
          assertThat(ca.get("type").asText()).isEqualTo("certificate_authority");
        }
      }
      assertThat(href).as("the CA named after its subject's CN").isNotNull();
      JsonNode ca = py.getUrl(href).json();
      assertThat(ca.get("certificate_state").asText()).isEqualTo("active");
      // export_certificate(): the certificate link's raw content, the same certificate
      Response cert = py.getUrl(linkOf(ca, "certificate"));
      assertThat(cert.header("Content-Type")).as("smc-python reads raw content as text/plain or octet-stream")
          .startsWith("text/plain");
      String exported = cert.body();
      assertThat(exported.replaceAll("\\s", "")).isEqualTo(new String(pem, StandardCharsets.US_ASCII).replaceAll("\\s", ""));
      // un_trust(): PUT untrust, a task polled to its end
      JsonNode task = py.put(linkOf(ca, "untrust"), "{}", null).json();
      JsonNode done = SystemTest.poll(py, task);
      assertThat(done.get("success").asBoolean()).as(done.toString()).isTrue();
      assertThat(py.getUrl(href).json().get("certificate_state").asText()).isEqualTo("untrusted");
      assertThat(ws.next()).contains("\"type\":\"update\"");
      assertThat(py.put(linkOf(ca, "untrust"), "{}", null).status()).as("untrusted already").isEqualTo(400);
    }
    // not a certificate, not a CA's, expired, a second import of the same name: clear refusals, nothing added
    int count = py.getUrl(system("certificate_authority")).json().size();
    assertThat(importCa("not a certificate".getBytes(StandardCharsets.US_ASCII)).status()).isEqualTo(400);
    Response leaf = importCa(certificate(unique("leaf"), false, now - 60_000, now + 86_400_000));
    assertThat(leaf.status()).isEqualTo(400);
    assertThat(leaf.body()).contains("not a certificate authority");
    assertThat(importCa(certificate(unique("old"), true, now - 2 * 86_400_000L, now - 86_400_000L)).status()).isEqualTo(400);
    assertThat(importCa(pem).status()).as("the name is taken").isEqualTo(400);
    assertThat(py.getUrl(system("certificate_authority")).json()).hasSize(count);
  }

  private static Response uploadFile(SmcClient c, String url, String part, String fileName, byte[] file) throws Exception {
    String boundary = "herald" + System.nanoTime();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + part + "\"; filename=\"" + fileName
        + "\"\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.write(file);
    body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return c.send(HttpRequest.newBuilder(URI.create(url))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
  }

  private static String zipEntry(byte[] zip, String name) throws Exception {
    try (java.util.zip.ZipInputStream z = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(zip))) {
      for (java.util.zip.ZipEntry e = z.getNextEntry(); e != null; e = z.getNextEntry()) {
        if (e.getName().equals(name)) {
          return new String(z.readAllBytes(), StandardCharsets.UTF_8);
        }
      }
    }
    throw new AssertionError("no " + name + " in the zip");
  }

  private static JsonNode byName(SmcClient c, String type, String name) throws Exception {
    JsonNode r = c.get("/elements/" + type + "?filter=" + name + "&exact_match=True").json().get("result");
    return r.isEmpty() ? null : c.getUrl(r.get(0).get("href").asText()).json();
  }

  @Test
  void ldif_exportedAndImported_betweenServers_allOrNothing() throws Exception {
    String g1 = unique("ldg1");
    String u1 = unique("ldu1");
    String u2 = unique("ldu2");
    String g2 = unique("ldg2");
    String g1Href = py.create("internal_user_group", "{\"name\":\"" + g1 + "\",\"comment\":\"first group\"}");
    // InternalUser.create(name, user_group=[group]); InternalUserGroup.create(name, member=[user])
    py.create("internal_user", "{\"name\":\"" + u1 + "\",\"comment\":\"one\",\"user_group\":[\"" + g1Href + "\"]}");
    String u2Href = py.create("internal_user", "{\"name\":\"" + u2 + "\",\"display_name\":\"User Two\"}");
    py.create("internal_user_group", "{\"name\":\"" + g2 + "\",\"member\":[\"" + u2Href + "\"]}");

    // export_ldif_elements(filename): POST, then the DownloadTask polls and reads the result
    JsonNode task = py.postUrl(system("export_ldif_elements"), "{}").json();
    JsonNode done = SystemTest.poll(py, task);
    assertThat(done.get("success").asBoolean()).as(done.toString()).isTrue();
    String result = linkOf(done, "result");
    java.net.http.HttpResponse<byte[]> zip = py.http.send(HttpRequest.newBuilder(URI.create(result)).GET().build(),
        java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    assertThat(zip.statusCode()).isEqualTo(200);
    String ldif = zipEntry(zip.body(), "exported_ldif_elements.ldif");
    assertThat(ldif).contains("dn: cn=" + u1 + ",dc=stonegate", "dn: cn=" + g1 + ",dc=stonegate",
        "member: cn=" + u1 + ",dc=stonegate", "member: cn=" + u2 + ",dc=stonegate", "displayName: User Two",
        "objectClass: inetOrgPerson", "objectClass: groupOfNames");
    assertThat(py.postUrl(system("export_ldif_elements") + "?ldap_domain=Other", "{}").status()).isEqualTo(400);

    try (TestServer other = TestServer.start(backend)) {
      SmcClient py2 = SmcClient.loggedIn(other);
      String importUrl = py2.get("/system").json().get("link").findValues("href").stream().map(JsonNode::asText)
          .filter(h -> h.endsWith("/import_ldif_elements")).findFirst().orElseThrow();
      // import_ldif_elements(filename): multipart import_file, the first answer in progress
      try (WsClient ws = WsClient.open(py2)) {
        ws.subscribe("{\"context\":\"internal_user,internal_user_group\"}");
        Response started = uploadFile(py2, importUrl, "import_file", "export_ldif_elements.zip", zip.body());
        assertThat(started.status()).as(started.body()).isEqualTo(200);
        assertThat(started.json().get("in_progress").asBoolean()).isTrue();
        JsonNode imported = SystemTest.poll(py2, started.json());
        assertThat(imported.get("success").asBoolean()).as(imported.toString()).isTrue();
        assertThat(ws.next()).contains("\"type\":\"create\"");
      }
      JsonNode user2 = byName(py2, "internal_user", u2);
      assertThat(user2.get("display_name").asText()).isEqualTo("User Two");
      assertThat(user2.get("unique_id").asText()).isEqualTo("cn=" + u2 + ",dc=stonegate,domain=InternalDomain");
      JsonNode group1 = byName(py2, "internal_user_group", g1);
      assertThat(group1.get("comment").asText()).isEqualTo("first group");
      assertThat(group1.get("member")).hasSize(1);
      assertThat(py2.getUrl(group1.get("member").get(0).asText()).json().get("name").asText()).isEqualTo(u1);

      // a hand-written LDIF: a new user, and a known one whose description changes (its display name stays)
      String u3 = unique("ldu3");
      String hand = "dn: cn=" + u3 + ",dc=stonegate\nobjectClass: inetOrgPerson\ncn: " + u3 + "\nsn: " + u3 + "\n\n"
          + "dn: cn=" + u2 + ",dc=stonegate\nobjectClass: inetOrgPerson\ncn: " + u2 + "\nsn: x\ndescription: changed\n\n"
          + "dn: cn=" + g1 + ",dc=stonegate\nobjectClass: groupOfNames\ncn: " + g1 + "\nmember: cn=" + u3 + ",dc=stonegate\n";
      JsonNode handDone = SystemTest.poll(py2, uploadFile(py2, importUrl, "import_file", "users.ldif",
          hand.getBytes(StandardCharsets.UTF_8)).json());
      assertThat(handDone.get("success").asBoolean()).as(handDone.toString()).isTrue();
      assertThat(byName(py2, "internal_user", u3)).isNotNull();
      user2 = byName(py2, "internal_user", u2);
      assertThat(user2.get("comment").asText()).isEqualTo("changed");
      assertThat(user2.get("display_name").asText()).isEqualTo("User Two");
      assertThat(byName(py2, "internal_user_group", g1).get("member")).as("kept and added").hasSize(2);

      // bad files: a failed task saying why, nothing changed
      String u4 = unique("ldu4");
      for (String[] bad : List.of(
          new String[] {"not ldif at all\n", "not LDIF"},
          new String[] {"dn: cn=" + u4 + ",dc=stonegate\nobjectClass: inetOrgPerson\ncn: " + u4 + "\n\n"
              + "dn: cn=printer,dc=stonegate\nobjectClass: device\ncn: printer\n", "neither a person nor a group"},
          new String[] {"dn: cn=" + u4 + ",dc=stonegate\nobjectClass: inetOrgPerson\ncn: " + u4 + "\n\n"
              + "dn: cn=" + g1 + ",dc=stonegate\nobjectClass: groupOfNames\ncn: " + g1 + "\nmember: cn=nobody,dc=stonegate\n",
              "neither in the file nor on this server"})) {
        JsonNode failed = SystemTest.poll(py2, uploadFile(py2, importUrl, "import_file", "bad.ldif",
            bad[0].getBytes(StandardCharsets.UTF_8)).json());
        assertThat(failed.get("success").asBoolean()).isFalse();
        assertThat(failed.get("last_message").asText()).contains(bad[1]);
        assertThat(byName(py2, "internal_user", u4)).isNull();
      }
      assertThat(byName(py2, "internal_user_group", g1).get("member")).hasSize(2);
    }
  }

  private static String linkOf(JsonNode el, String rel) {
    for (JsonNode l : el.get("link")) {
      if (l.get("rel").asText().equals(rel)) {
        return l.get("href").asText();
      }
    }
    throw new AssertionError("no link " + rel + " in " + el);
  }

  static {
    Json.mapper();
  }
}

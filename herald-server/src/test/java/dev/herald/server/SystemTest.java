package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.SmcClient.Response;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The system entry point as smc-python's System drives it: the requests it sends, checked the
 * way it reads the answers; export and import through tasks, between two servers.
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(Backend.class)
class SystemTest {
  @Parameter Backend backend;
  static TestServer server;
  static SmcClient py;

  @BeforeParameterizedClassInvocation
  static void start(Backend backend) throws Exception {
    server = TestServer.start(backend);
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

  /** System(): the system entry point from /api, then its link list (rel → href). */
  private static String rel(SmcClient c, String rel) throws Exception {
    String system = null;
    for (JsonNode e : c.get("/api").json().get("entry_point")) {
      if (e.get("rel").asText().equals("system")) {
        system = e.get("href").asText();
      }
    }
    assertThat(system).as("the system entry point").isNotNull();
    for (JsonNode l : c.getUrl(system).json().get("link")) {
      if (l.get("rel").asText().equals(rel)) {
        return l.get("href").asText();
      }
    }
    throw new AssertionError("system has no link " + rel);
  }

  /** TaskOperationPoller: GET the follower until in_progress is false; the last answer. */
  static JsonNode poll(SmcClient c, JsonNode task) throws Exception {
    assertThat(task.get("in_progress").isBoolean()).as("in_progress is always there").isTrue();
    JsonNode[] last = {task};
    Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
      last[0] = c.getUrl(last[0].get("follower").asText()).json();
      return !last[0].get("in_progress").asBoolean();
    });
    return last[0];
  }

  private static String link(JsonNode el, String rel) {
    for (JsonNode l : el.get("link")) {
      if (l.get("rel").asText().equals(rel)) {
        return l.get("href").asText();
      }
    }
    throw new AssertionError("no link " + rel + " in " + el);
  }

  private static byte[] download(SmcClient c, String url) throws Exception {
    HttpResponse<byte[]> r = c.http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).as("DownloadTask needs exactly 200").isEqualTo(200);
    return r.body();
  }

  private static String entry(byte[] zip, String name) throws Exception {
    try (ZipInputStream z = new ZipInputStream(new ByteArrayInputStream(zip))) {
      ZipEntry e;
      while ((e = z.getNextEntry()) != null) {
        if (e.getName().equals(name)) {
          return new String(z.readAllBytes(), StandardCharsets.UTF_8);
        }
      }
    }
    throw new AssertionError("no " + name + " in the zip");
  }

  /** requests' multipart upload of one file part. */
  static Response upload(SmcClient c, String url, String part, byte[] file) throws Exception {
    String boundary = "herald" + System.nanoTime();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + part
        + "\"; filename=\"export.zip\"\r\nContent-Type: application/zip\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.write(file);
    body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return c.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
  }

  @Test
  void versionTimeAndTheLinksSystemOffers() throws Exception {
    // get_smc_version(): value.split()[0].split('.')
    String version = py.getUrl(rel(py, "smc_version")).json().get("value").asText();
    assertThat(version.split(" ")[0].split("\\.")).hasSize(3).startsWith("7", "2");
    long time = py.getUrl(rel(py, "smc_time")).json().get("value").asLong();
    assertThat(time).isBetween(System.currentTimeMillis() - 60_000, System.currentTimeMillis() + 60_000);
    assertThat(py.getUrl(rel(py, "last_activated_package")).json().get("value").isTextual()).isTrue();
    assertThat(py.getUrl(rel(py, "licenses")).json().get("license").isArray()).isTrue();
    assertThat(py.getUrl(rel(py, "update_package")).json().isArray()).isTrue();
    // a link Herald does not do yet: 501 naming it, never a 404
    Response notYet = py.getUrl(rel(py, "visible_security_group_mapping"));
    assertThat(notYet.status()).isEqualTo(501);
    assertThat(notYet.json().get("message").asText()).contains("visible_security_group_mapping");
    assertThat(py.get("/system/no_such_thing").status()).isEqualTo(404);
  }

  @Test
  void systemProperties_readAndUpdated_asSmcPythonDoes() throws Exception {
    String list = rel(py, "system_properties");
    JsonNode items = py.getUrl(list).json().get("result");
    assertThat(items).isNotEmpty();
    items.forEach(i -> assertThat(i.properties()).hasSize(3));
    // system.system_property(55): GET <system_properties>/55
    Response got = py.getUrl(list + "/55");
    JsonNode p = got.json();
    assertThat(p.get("name").asText()).isEqualTo("export_banner_text");
    assertThat(p.get("system_key").asInt()).isEqualTo(55);
    assertThat(p.has("system")).as("update() refuses system elements without a call").isFalse();
    assertThat(link(p, "self")).isEqualTo(list + "/55");
    assertThat(p.get("link").get(0).get("type").asText()).isEqualTo("system_property");
    // update(value=...): the whole JSON back, Etag header
    String banner = unique("banner");
    Response put = py.put(list + "/55", ((ObjectNode) p).put("value", banner).toString(), got.header("ETag"));
    assertThat(put.status()).isEqualTo(200);
    assertThat(py.getUrl(list + "/55").json().get("value").asText()).isEqualTo(banner);
    // a stale ETag changes nothing
    Response stale = py.put(list + "/55", ((ObjectNode) p).put("value", "other").toString(), got.header("ETag"));
    assertThat(stale.status()).isEqualTo(412);
    assertThat(py.getUrl(list + "/55").json().get("value").asText()).isEqualTo(banner);
  }

  @Test
  void exportThenImport_reproducesTheElements_onAnotherServer() throws Exception {
    String h = unique("exp-h");
    String net = unique("exp-n");
    String g = unique("exp-g");
    String hHref = py.create("host", "{\"name\":\"" + h + "\",\"address\":\"10.44.0.1\",\"comment\":\"exported\"}");
    String nHref = py.create("network", "{\"name\":\"" + net + "\",\"ipv4_network\":\"10.44.0.0/16\"}");
    // a reference to a built-in: resolved by name on the other side
    String http = py.get("/elements/tcp_service?filter=HTTP&exact_match=True").json().get("result").get(0).get("href").asText();
    String sg = unique("exp-sg");
    py.create("service_group", "{\"name\":\"" + sg + "\",\"element\":[\"" + http + "\"]}");
    py.create("group", "{\"name\":\"" + g + "\",\"element\":[\"" + hHref + "\",\"" + nHref + "\"]}");

    // System().export_elements(filename, typeof="all"): POST with params, body {}, then the download task
    JsonNode task = py.postUrl(rel(py, "export_elements") + "?recursive=True&type=all", "{}").json();
    JsonNode done = poll(py, task);
    assertThat(done.get("success").asBoolean()).as(done.toString()).isTrue();
    byte[] zip = download(py, link(done, "result"));
    String xml = entry(zip, "exported_data.xml");
    assertThat(xml).contains(h, net, g, sg).doesNotContain("Localhost");

    try (TestServer other = TestServer.start(backend)) {
      SmcClient py2 = SmcClient.loggedIn(other);
      try (WsClient ws = WsClient.open(py2)) {
        ws.subscribe("{\"context\":\"host,network,group,service_group\"}");
        // System().import_elements(path): multipart import_file; the first answer must be in progress
        Response started = upload(py2, rel(py2, "import_elements") + "?import_only_new=False&restoration=True",
            "import_file", zip);
        assertThat(started.status()).as(started.body()).isIn(200, 201, 202);
        assertThat(started.json().get("in_progress").asBoolean()).isTrue();
        JsonNode imported = poll(py2, started.json());
        assertThat(imported.get("success").asBoolean()).as(imported.toString()).isTrue();
        // one create event per exported element of those types (the file holds this class's others too)
        int expected = 0;
        for (String t : List.of("host", "network", "group", "service_group")) {
          expected += xml.split("<element type=\"" + t + "\"", -1).length - 1;
        }
        List<String> events = new ArrayList<>();
        for (int i = 0; i < expected; i++) {
          events.add(ws.next());
        }
        assertThat(events).allSatisfy(e -> assertThat(e).contains("\"type\":\"create\""));
        assertThat(String.join("\n", events)).contains("/elements/group/")
            .contains("/elements/host/").contains("/elements/network/").contains("/elements/service_group/");
      }
      JsonNode group = py2.getUrl(py2.get("/elements/group?filter=" + g + "&exact_match=True").json()
          .get("result").get(0).get("href").asText()).json();
      List<String> members = new ArrayList<>();
      for (JsonNode m : group.get("element")) {
        assertThat(m.asText()).startsWith(other.url());
        members.add(py2.getUrl(m.asText()).json().get("name").asText());
      }
      assertThat(members).containsExactly(h, net);
      JsonNode host = py2.getUrl(py2.get("/elements/host?filter=" + h + "&exact_match=True").json()
          .get("result").get(0).get("href").asText()).json();
      assertThat(host.get("address").asText()).isEqualTo("10.44.0.1");
      assertThat(host.get("comment").asText()).isEqualTo("exported");
      JsonNode group2 = py2.getUrl(py2.get("/elements/service_group?filter=" + sg + "&exact_match=True").json()
          .get("result").get(0).get("href").asText()).json();
      assertThat(py2.getUrl(group2.get("element").get(0).asText()).json().get("name").asText()).isEqualTo("HTTP");
    }
  }

  @Test
  void exportTypes_chooseTheFamilies_smcPythonNames() throws Exception {
    String h = unique("xt-h");
    String p = unique("xt-p");
    String tcp = unique("xt-s");
    py.create("host", "{\"name\":\"" + h + "\",\"address\":\"10.50.0.1\"}");
    py.create("tcp_service", "{\"name\":\"" + tcp + "\",\"min_dst_port\":8443}");
    String template = py.get("/elements/fw_template_policy?filter=Firewall+Inspection+Template&exact_match=True").json()
        .get("result").get(0).get("href").asText();
    py.create("fw_policy", "{\"name\":\"" + p + "\",\"template\":\"" + template + "\"}");
    java.util.Map<String, List<String>> expect = java.util.Map.of("rb", List.of(p), "nw", List.of(h), "sv", List.of(tcp));
    for (var e : expect.entrySet()) {
      JsonNode done = poll(py, py.postUrl(rel(py, "export_elements") + "?recursive=False&type=" + e.getKey(), "{}").json());
      String xml = entry(download(py, link(done, "result")), "exported_data.xml");
      List<String> others = new ArrayList<>(List.of(h, p, tcp));
      others.removeAll(e.getValue());
      assertThat(xml).as(e.getKey()).contains(e.getValue()).doesNotContain(others);
    }
    String all = entry(download(py, link(poll(py, py.postUrl(rel(py, "export_elements") + "?recursive=False&type=all", "{}")
        .json()), "result")), "exported_data.xml");
    assertThat(all).contains(h, p, tcp);
  }

  @Test
  void anExportWithAFilePassword_isEncrypted_andImportsOnlyWithIt() throws Exception {
    String h = unique("enc-h");
    py.create("host", "{\"name\":\"" + h + "\",\"address\":\"10.49.0.1\"}");
    // export_elements(filename, file_password=...): the zip's entry is encrypted
    JsonNode done = poll(py, py.postUrl(rel(py, "export_elements") + "?recursive=True&type=nw&file_password=s3cret-pw", "{}").json());
    assertThat(done.get("success").asBoolean()).as(done.toString()).isTrue();
    byte[] zip = download(py, link(done, "result"));
    try (ZipInputStream z = new ZipInputStream(new ByteArrayInputStream(zip))) {
      org.assertj.core.api.Assertions.assertThatThrownBy(z::getNextEntry).as("a plain zip reader cannot read it")
          .hasMessageContaining("encrypted");
    }
    assertThat(new String(zip, StandardCharsets.ISO_8859_1)).doesNotContain(h);
    try (TestServer other = TestServer.start(backend)) {
      SmcClient py2 = SmcClient.loggedIn(other);
      String importUrl = rel(py2, "import_elements") + "?import_only_new=False&restoration=True";
      // without the password, or with a wrong one: a failed task saying so, nothing imported
      JsonNode without = poll(py2, upload(py2, importUrl, "import_file", zip).json());
      assertThat(without.get("success").asBoolean()).isFalse();
      assertThat(without.get("last_message").asText()).contains("file_password");
      JsonNode wrong = poll(py2, upload(py2, importUrl + "&file_password=wrong", "import_file", zip).json());
      assertThat(wrong.get("success").asBoolean()).isFalse();
      assertThat(wrong.get("last_message").asText()).contains("does not open");
      assertThat(py2.get("/elements/host?filter=" + h + "&exact_match=True").json().get("result")).isEmpty();
      // import_elements(path, file_password=...)
      JsonNode ok = poll(py2, upload(py2, importUrl + "&file_password=s3cret-pw", "import_file", zip).json());
      assertThat(ok.get("success").asBoolean()).as(ok.toString()).isTrue();
      assertThat(py2.get("/elements/host?filter=" + h + "&exact_match=True").json().get("result")).hasSize(1);
    }
  }

  @Test
  void aCorruptOrIncompleteImport_failsWithAClearMessage_andChangesNothing() throws Exception {
    int hosts = py.get("/elements/host").json().get("result").size();
    try (WsClient ws = WsClient.open(py)) {
      ws.subscribe("{\"context\":\"*\"}");
      // not a zip
      JsonNode bad = poll(py, upload(py, rel(py, "import_elements"), "import_file",
          "this is not a zip".getBytes(StandardCharsets.UTF_8)).json());
      assertThat(bad.get("success").asBoolean()).isFalse();
      assertThat(bad.get("last_message").asText()).contains("not a zip");
      // a well-formed file whose second element refers to something neither in it nor here
      String a = unique("imp-ok");
      String xml = "<exported_data origin=\"Herald\" format=\"1\">"
          + "<element type=\"host\" name=\"" + a + "\">{\"address\":\"10.45.0.1\"}</element>"
          + "<element type=\"group\" name=\"" + unique("imp-g") + "\">{\"element\":[\"herald-ref:host:nowhere\"]}</element>"
          + "</exported_data>";
      JsonNode dangling = poll(py, upload(py, rel(py, "import_elements"), "import_file", zip(xml)).json());
      assertThat(dangling.get("success").asBoolean()).isFalse();
      assertThat(dangling.get("last_message").asText()).contains("host nowhere");
      // an invalid attribute: the validation's message, naming it
      String badHost = "<exported_data><element type=\"host\" name=\"" + unique("imp-bad")
          + "\">{\"address\":\"10.45.0.300\"}</element></exported_data>";
      JsonNode invalid = poll(py, upload(py, rel(py, "import_elements"), "import_file", zip(badHost)).json());
      assertThat(invalid.get("success").asBoolean()).isFalse();
      assertThat(invalid.get("last_message").asText()).contains("address");
      // an XML entity: refused, never resolved
      String xxe = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
          + "<exported_data><element type=\"host\" name=\"" + unique("imp-xxe") + "\">{\"comment\":\"&e;\"}</element></exported_data>";
      JsonNode entity = poll(py, upload(py, rel(py, "import_elements"), "import_file", zip(xxe)).json());
      assertThat(entity.get("success").asBoolean()).isFalse();
      assertThat(py.get("/elements/host").json().get("result")).hasSize(hosts);
      assertThat(py.get("/elements/host?filter=" + a + "&exact_match=True").json().get("result")).isEmpty();
      // no event for any of them
      String marker = py.create("host", "{\"name\":\"" + unique("marker") + "\",\"address\":\"10.45.0.9\"}");
      assertThat(ws.next()).contains(marker);
    }
    // a body that is no upload
    Response notMultipart = py.postUrl(rel(py, "import_elements"), "{}");
    assertThat(notMultipart.status()).isEqualTo(400);
    assertThat(notMultipart.json().get("details").get(0).asText()).contains("import_file");
  }

  private static byte[] zip(String xml) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(out)) {
      z.putNextEntry(new ZipEntry("exported_data.xml"));
      z.write(xml.getBytes(StandardCharsets.UTF_8));
      z.closeEntry();
    }
    return out.toByteArray();
  }

  @Test
  void anElementsExportLink_andTheTaskList_andAbort() throws Exception {
    String h = unique("one");
    String href = py.create("host", "{\"name\":\"" + h + "\",\"address\":\"10.46.0.1\"}");
    JsonNode el = py.getUrl(href).json();
    // element.export(): POST its export link, body {}
    JsonNode done = poll(py, py.postUrl(link(el, "export"), "{}").json());
    assertThat(done.get("success").asBoolean()).isTrue();
    assertThat(done.get("resource").get(0).asText()).isEqualTo(href);
    assertThat(entry(download(py, link(done, "result")), "exported_data.xml")).contains(h);
    // TaskHistory: the task_progress entry point lists tasks as meta
    JsonNode tasks = py.get("/elements/task_progress").json().get("result");
    assertThat(tasks).isNotEmpty();
    assertThat(tasks.get(0).properties()).hasSize(3);
    assertThat(tasks.toString()).contains(done.get("follower").asText());
    // abort of an ended task: nothing to stop, it stays as it ended
    JsonNode aborted = py.send(HttpRequest.newBuilder(URI.create(link(done, "abort"))).DELETE()).json();
    assertThat(aborted.get("success").asBoolean()).isTrue();
    // another domain does not see it
    py.create("admin_domain", "{\"name\":\"" + unique("dom") + "\"}");
    assertThat(py.getUrl(done.get("follower").asText().replaceAll("/\\d+$", "/999999999")).status()).isEqualTo(404);
    // system elements are not exported
    String localhost = py.get("/elements/host?filter=Localhost&exact_match=True").json().get("result").get(0).get("href").asText();
    assertThat(py.postUrl(localhost + "/export", "{}").status()).isEqualTo(400);
  }

  @Test
  void emptyTrashBin_deletesWhatIsInTheTrash_withItsEvents() throws Exception {
    String gone = py.create("host", "{\"name\":\"" + unique("trash") + "\",\"address\":\"10.47.0.1\"}");
    String kept = py.create("host", "{\"name\":\"" + unique("kept") + "\",\"address\":\"10.47.0.2\"}");
    assertThat(py.postUrl(gone + "/trash", "{}").status()).isEqualTo(200);
    try (WsClient ws = WsClient.open(py)) {
      ws.subscribe("{\"context\":\"host\"}");
      assertThat(py.send(HttpRequest.newBuilder(URI.create(rel(py, "empty_trash_bin"))).DELETE()).status()).isIn(200, 204);
      assertThat(ws.next()).contains("\"type\":\"delete\"").contains(gone);
    }
    assertThat(py.getUrl(gone).status()).isEqualTo(404);
    assertThat(py.getUrl(kept).status()).isEqualTo(200);
  }

  @Test
  void monitoringStatus_ofTheServers_andHa() throws Exception {
    String mgt = py.get("/elements/mgt_server").json().get("result").get(0).get("href").asText();
    String log = py.get("/elements/log_server").json().get("result").get(0).get("href").asText();
    String monitoring = null;
    String ha = null;
    for (JsonNode e : py.get("/api").json().get("entry_point")) {
      switch (e.get("rel").asText()) {
        case "monitoring_status" -> monitoring = e.get("href").asText();
        case "ha" -> ha = e.get("href").asText();
        default -> { }
      }
    }
    // MonitoringStatus.get_status(href): POST {"value": href}; every key becomes an attribute
    for (String server : List.of(mgt, log)) {
      JsonNode st = py.postUrl(monitoring, "{\"value\":\"" + server + "\"}").json();
      assertThat(st.get("monitoring_state").asText()).isEqualTo("READY");
      assertThat(st.get("monitoring_status").asText()).isEqualTo("OK");
      assertThat(st.has("history")).as("a read-only property in smc-python").isFalse();
      assertThat(st.has("memory_used")).isTrue();
    }
    // anything else is not monitored: 400, smc-python's NotMonitored
    String h = py.create("host", "{\"name\":\"" + unique("mon") + "\",\"address\":\"10.48.0.1\"}");
    assertThat(py.postUrl(monitoring, "{\"value\":\"" + h + "\"}").status()).isEqualTo(400);
    // HAManagement().get_ha()
    JsonNode info = py.getUrl(ha).json();
    assertThat(info.get("active_server").asText()).isEqualTo(mgt);
    assertThat(info.get("standby_servers")).isEmpty();
    JsonNode diag = py.getUrl(ha + "/diagnostic?deep=False").json();
    assertThat(diag.get("errors_warnings").get("title").asText()).contains("No issues were detected");
    assertThat(py.postUrl(ha + "/set_active", "{}").status()).isEqualTo(200);
    assertThat(py.postUrl(ha + "/set_standby", "{}").status()).isEqualTo(400);
  }

  static {
    Json.mapper(); // the shared mapper is configured before any test parses
  }
}

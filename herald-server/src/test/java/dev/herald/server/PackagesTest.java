package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.server.SmcClient.Response;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Dynamic update packages and engine upgrades as smc-python 1.0.31 drives them (System's
 * update_package, update_package_import, engine_upgrade, engine_upgrade_import; a package's
 * download and activate tasks; examples/update_package.py and import_engine_upgrade.py, the
 * Ansible collection's engine_upgrade module), with the download server stood in for by
 * {@code POST /herald/admin/packages}.
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(Backend.class)
class PackagesTest {
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

  private static String system(String rel) throws Exception {
    for (JsonNode l : py.get("/system").json().get("link")) {
      if (l.get("rel").asText().equals(rel)) {
        return l.get("href").asText();
      }
    }
    throw new AssertionError("system has no link " + rel);
  }

  private static List<String> rels(JsonNode element) {
    List<String> out = new ArrayList<>();
    element.get("link").forEach(l -> out.add(l.get("rel").asText()));
    return out;
  }

  private static String link(JsonNode el, String rel) {
    for (JsonNode l : el.get("link")) {
      if (l.get("rel").asText().equals(rel)) {
        return l.get("href").asText();
      }
    }
    throw new AssertionError("no link " + rel + " in " + el);
  }

  private static byte[] zip() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(out)) {
      z.putNextEntry(new ZipEntry("content.bin"));
      z.write("package".getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  /** requests' multipart upload: files={part: open(path)} sends the file's base name. */
  private static Response upload(String url, String part, String fileName, byte[] file) throws Exception {
    String boundary = "herald" + System.nanoTime();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + part + "\"; filename=\"" + fileName
        + "\"\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.write(file);
    body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return py.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
  }

  private static JsonNode task(Response started) throws Exception {
    assertThat(started.status()).as(started.body()).isEqualTo(200);
    return SystemTest.poll(py, started.json());
  }

  private static Response publish(String json) throws Exception {
    return py.send(HttpRequest.newBuilder(URI.create(server.url() + "/herald/admin/packages"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  @Test
  void updatePackage_publishedDownloadedActivated_asExamplesUpdatePackagePyDoes() throws Exception {
    String list = system("update_package");
    int before = py.getUrl(list).json().size();
    long id = 20_000 + (System.nanoTime() % 1000) * 2; // above every other test's: listed first
    try (WsClient socket = WsClient.open(py)) {
      socket.subscribe("{\"context\":\"update_package\"}");
      Response published = publish("{\"type\":\"update_package\",\"package_id\":" + id + "}");
      assertThat(published.status()).as(published.body()).isEqualTo(201);
      assertThat(socket.next()).contains("\"type\":\"create\"");
      // listed newest first, as {name, href, type}; an available one offers download right after self
      JsonNode listed = py.getUrl(list).json();
      assertThat(listed).hasSize(before + 1);
      assertThat(listed.get(0).get("type").asText()).isEqualTo("update_package");
      assertThat(listed.get(0).get("name").asText()).contains(Long.toString(id)); // get_contains(id)
      String href = listed.get(0).get("href").asText();
      JsonNode pkg = py.getUrl(href).json();
      assertThat(pkg.get("state").asText()).isEqualTo("available");
      assertThat(pkg.get("package_id").asLong()).isEqualTo(id);
      assertThat(rels(pkg).subList(0, 2)).containsExactly("self", "download");
      assertThat(rels(pkg)).doesNotContain("activate");
      // activate before a download: 400, nothing started
      assertThat(py.postUrl(href + "/activate", "{\"resource\":null}").status()).isEqualTo(400);

      JsonNode downloaded = task(py.postUrl(link(pkg, "download"), "{}"));
      assertThat(downloaded.get("success").asBoolean()).as(downloaded.toString()).isTrue();
      assertThat(socket.next()).contains("\"type\":\"update\"");
      pkg = py.getUrl(href).json();
      assertThat(pkg.get("state").asText()).isEqualTo("imported");
      assertThat(rels(pkg).subList(0, 2)).containsExactly("self", "activate");
      assertThat(py.postUrl(href + "/download", "{}").status()).as("downloaded already").isEqualTo(400);

      JsonNode activated = task(py.postUrl(link(pkg, "activate") + "?force_upgrade=False", "{\"resource\":null}"));
      assertThat(activated.get("success").asBoolean()).as(activated.toString()).isTrue();
      pkg = py.getUrl(href).json();
      assertThat(pkg.get("state").asText()).isEqualTo("active");
      assertThat(pkg.get("activation_date").asLong()).isPositive();
      assertThat(pkg.get("smc_version").asText()).startsWith("7.");
      assertThat(py.getUrl(system("last_activated_package")).json().get("value").asText()).isEqualTo(Long.toString(id));
      // the activation took a system snapshot: System.system_snapshots(), newest first; download() reads content
      JsonNode snaps = py.getUrl(system("system_snapshot")).json();
      assertThat(snaps).isNotEmpty();
      assertThat(snaps.get(0).get("type").asText()).isEqualTo("system_snapshot");
      JsonNode snap = py.getUrl(snaps.get(0).get("href").asText()).json();
      assertThat(snap.get("package_id").asLong()).isEqualTo(id);
      assertThat(activated.get("last_message").asText()).contains(snap.get("name").asText());
      java.net.http.HttpResponse<byte[]> content = py.http.send(HttpRequest.newBuilder(URI.create(link(snap, "content"))).GET()
          .build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
      assertThat(content.statusCode()).isEqualTo(200);
      String xml = null;
      try (java.util.zip.ZipInputStream z = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(content.body()))) {
        for (java.util.zip.ZipEntry e = z.getNextEntry(); e != null; e = z.getNextEntry()) {
          if (e.getName().equals("exported_data.xml")) {
            xml = new String(z.readAllBytes(), StandardCharsets.UTF_8);
          }
        }
      }
      assertThat(xml).as("the system elements as they are").contains("name=\"Localhost\"", "name=\"Firewall Template\"");

      // a newer one activated: the older goes back to imported
      publish("{\"type\":\"update_package\",\"package_id\":" + (id + 1) + "}");
      String newer = py.getUrl(list).json().get(0).get("href").asText();
      task(py.postUrl(newer + "/download", "{}"));
      task(py.postUrl(newer + "/activate", "{\"resource\":null}"));
      assertThat(py.getUrl(href).json().get("state").asText()).isEqualTo("imported");
      assertThat(py.getUrl(system("last_activated_package")).json().get("value").asText()).isEqualTo(Long.toString(id + 1));
    }
    // the same package twice, a package without its id, an unknown kind: 400, nothing made
    int now = py.getUrl(list).json().size();
    assertThat(publish("{\"type\":\"update_package\",\"package_id\":" + id + "}").status()).isEqualTo(400);
    assertThat(publish("{\"type\":\"update_package\"}").status()).isEqualTo(400);
    assertThat(publish("{\"type\":\"update_package\",\"package_id\":\"soon\"}").status()).isEqualTo(400);
    assertThat(publish("{\"type\":\"host\",\"package_id\":1}").status()).isEqualTo(400);
    assertThat(py.getUrl(list).json()).hasSize(now);
  }

  @Test
  void updatePackageImport_takesAPackageFile_andRefusesOthers() throws Exception {
    String list = system("update_package");
    long id = 7000 + (System.nanoTime() % 1000) * 2;
    String file = "sgpkg-ips-" + id + "-5.jar";
    // update_package_import: files={"package_file": file}; its answer is the imported packages' JSON
    Response imported = upload(system("import_package"), "package_file", file, zip());
    assertThat(imported.status()).as(imported.body()).isEqualTo(200);
    JsonNode first = imported.json().get(0);
    assertThat(first.get("name").asText()).isEqualTo(file);
    assertThat(first.get("package_id").asLong()).isEqualTo(id);
    assertThat(first.get("state").asText()).isEqualTo("imported");
    assertThat(py.getUrl(link(first, "self")).json().get("name").asText()).isEqualTo(file);
    int count = py.getUrl(list).json().size();
    // again, not a zip, no id in the name, no file part: 400, nothing made
    assertThat(upload(system("import_package"), "package_file", file, zip()).body()).contains("already");
    assertThat(upload(system("import_package"), "package_file", "sgpkg-ips-" + (id + 1) + ".jar",
        "not a zip".getBytes(StandardCharsets.UTF_8)).body()).contains("not a package");
    assertThat(upload(system("import_package"), "package_file", "dynamic-update.jar", zip()).body())
        .contains("package_id");
    assertThat(upload(system("import_package"), "upgrade_file", "sgpkg-ips-" + (id + 1) + ".jar", zip()).status())
        .isEqualTo(400);
    assertThat(py.getUrl(list).json()).hasSize(count);
  }

  @Test
  void engineUpgrade_importedAndActivatedOnNodes_asTheAnsibleModuleDoes() throws Exception {
    String version = "7.3." + (System.nanoTime() % 1000) + ".32101";
    String file = "sg_engine_" + version + "_x86-64-small.zip";
    // engine_upgrade_import(path, force_import=True)
    Response imported = upload(system("import_upgrade") + "?force_import=True", "upgrade_file", file, zip());
    assertThat(imported.status()).as(imported.body()).isEqualTo(200);
    // examples/import_engine_upgrade.py: engine_upgrade().get_contains(version) and '.zip' in its name
    JsonNode found = null;
    for (JsonNode m : py.getUrl(system("engine_upgrade")).json()) {
      if (m.get("name").asText().contains(version)) {
        found = m;
      }
    }
    assertThat(found).isNotNull();
    assertThat(found.get("name").asText()).contains(".zip");
    JsonNode upgrade = py.getUrl(found.get("href").asText()).json();
    assertThat(upgrade.get("version").asText()).isEqualTo(version);
    assertThat(upgrade.get("platform").asText()).isEqualTo("x86-64-small");
    // the Ansible module: link[1] == activate means downloaded
    assertThat(upgrade.get("link").get(1).get("rel").asText()).isEqualTo("activate");

    String engine = EnginesTest.createSingleFw(py, "upg-" + System.nanoTime() % 1_000_000);
    JsonNode node = py.getUrl(engine).json().get("nodes").get(0).get("firewall_node");
    String nodeHref = link(node, "self");
    // no nodes named, or something that is not a node: 400 before any task
    assertThat(py.postUrl(link(upgrade, "activate"), "{\"resource\":[]}").status()).isEqualTo(400);
    assertThat(py.postUrl(link(upgrade, "activate"), "{\"resource\":[\"" + engine + "\"]}").status()).isEqualTo(400);
    // a node that has not made contact does not answer: the task fails saying so, nothing changes
    JsonNode failed = task(py.postUrl(link(upgrade, "activate") + "?force_upgrade=False",
        "{\"resource\":[\"" + nodeHref + "\"]}"));
    assertThat(failed.get("success").asBoolean()).isFalse();
    assertThat(failed.get("last_message").asText()).contains("does not answer");

    py.postUrl(nodeHref + "/initial_contact", "{}");
    assertThat(py.getUrl(link(node, "status")).json().get("version").asText()).isNotEqualTo("version " + version);
    JsonNode done = task(py.postUrl(link(upgrade, "activate") + "?force_upgrade=False",
        "{\"resource\":[\"" + nodeHref + "\"]}"));
    assertThat(done.get("success").asBoolean()).as(done.toString()).isTrue();
    int last = version.lastIndexOf('.');
    JsonNode status = py.getUrl(link(node, "status")).json();
    assertThat(status.get("version").asText()).isEqualTo("version " + version.substring(0, last) + " #" + version.substring(last + 1));
    assertThat(status.get("platform").asText()).isEqualTo("x86-64-small");
    // the nodes report the active update package as their dyn_up
    long id = 100 + System.nanoTime() % 800;
    publish("{\"type\":\"update_package\",\"package_id\":" + id + "}");
    String pkg = null;
    for (JsonNode m : py.getUrl(system("update_package")).json()) {
      if (m.get("name").asText().contains(Long.toString(id))) {
        pkg = m.get("href").asText();
      }
    }
    task(py.postUrl(pkg + "/download", "{}"));
    task(py.postUrl(pkg + "/activate", "{\"resource\":null}"));
    assertThat(py.getUrl(link(node, "status")).json().get("dyn_up").asText()).isEqualTo(Long.toString(id));

    // imported already: 400; deleted, it imports again (the example's advice)
    assertThat(upload(system("import_upgrade"), "upgrade_file", file, zip()).status()).isEqualTo(400);
    String href = found.get("href").asText();
    assertThat(py.delete(href, py.getUrl(href).header("ETag")).status()).isIn(200, 204);
    assertThat(upload(system("import_upgrade"), "upgrade_file", file, zip()).status()).isEqualTo(200);
  }
}

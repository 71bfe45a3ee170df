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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Licences as smc-python 1.0.31 drives them (System.licenses, license_install — PUT, multipart
 * license_file —, delete_license, bind_license; a node's bind_license / unbind_license /
 * cancel_unbind_license) and as the Ansible collection reads them (unlicensed_components' names:
 * is_licensed, then engine_action bind_license).
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(Backend.class)
class LicencesTest {
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

  private static Response install(String json) throws Exception {
    String boundary = "herald" + System.nanoTime();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"license_file\"; filename=\"licence.jar\"\r\n\r\n")
        .getBytes(StandardCharsets.UTF_8));
    body.write(json.getBytes(StandardCharsets.UTF_8));
    body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return py.send(HttpRequest.newBuilder(URI.create(py.v("/system/license_install")))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .PUT(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
  }

  private static JsonNode licence(String id) throws Exception {
    for (JsonNode l : py.get("/system/licenses").json().get("license")) {
      if (l.get("license_id").asText().equals(id)) {
        return l;
      }
    }
    throw new AssertionError("no licence " + id);
  }

  private static List<String> unlicensed() throws Exception {
    List<String> out = new ArrayList<>();
    py.get("/system/unlicensed_components").json().forEach(c -> out.add(c.get("name").asText()));
    return out;
  }

  @Test
  void licences_installedBoundUnboundDeleted() throws Exception {
    String tag = Long.toString(System.nanoTime() % 1_000_000);
    String a = "LIC-A-" + tag;
    String m = "LIC-M-" + tag;
    int before = py.get("/system/licenses").json().get("license").size();
    // not a licence file Herald reads (a Forcepoint .jar, a licence without its type): 400, nothing installed
    assertThat(install("PK\u0003\u0004 signed").body()).contains("cannot read Forcepoint's signed licence files");
    assertThat(install("[{\"license_id\":\"" + a + "\",\"type\":\"SECNODE\"},{\"license_id\":\"x-" + tag + "\"}]").status())
        .isEqualTo(400);
    assertThat(py.get("/system/licenses").json().get("license")).hasSize(before);
    Response ok = install("[{\"license_id\":\"" + a + "\",\"type\":\"SECNODE\",\"proof_of_license\":\"abcd-efgh-ijkl-mnop\"},"
        + "{\"license_id\":\"" + m + "\",\"type\":\"Mgmt\"}]");
    assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    assertThat(install("{\"license_id\":\"" + a + "\",\"type\":\"SECNODE\"}").body()).contains("installed already");
    JsonNode la = licence(a);
    assertThat(la.get("binding_state").asText()).isEqualTo("unassigned");
    assertThat(la.get("proof_of_license").asText()).isEqualTo("abcd-efgh-ijkl-mnop");
    assertThat(la.has("name")).as("License(**lic) takes the licence's fields").isFalse();

    String name = "lic-fw-" + tag;
    String engine = EnginesTest.createSingleFw(py, name);
    JsonNode node = py.getUrl(engine).json().get("nodes").get(0).get("firewall_node");
    String nodeName = node.get("name").asText();
    String nodeHref = node.get("link").get(0).get("href").asText();
    assertThat(unlicensed()).contains(nodeName);
    // Node.bind_license(): the free engine licence
    assertThat(py.postUrl(nodeHref + "/bind", "{}").status()).isEqualTo(200);
    assertThat(unlicensed()).doesNotContain(nodeName);
    assertThat(licence(a).get("binding_state").asText()).isEqualTo("bound");
    assertThat(licence(a).get("bound_to").asText()).isEqualTo(nodeName);
    assertThat(py.postUrl(nodeHref + "/bind", "{}").body()).contains("licensed already");
    assertThat(py.put(py.v("/system/delete_license?license_id=" + a), "{}", null).body()).contains("unbind it first");
    // unbind, cancel the unbind, unbind again
    assertThat(py.postUrl(nodeHref + "/unbind", "{}").status()).isEqualTo(200);
    assertThat(licence(a).get("binding_state").asText()).isEqualTo("unassigned");
    assertThat(unlicensed()).contains(nodeName);
    assertThat(py.postUrl(nodeHref + "/cancel_unbind", "{}").status()).isEqualTo(200);
    assertThat(licence(a).get("bound_to").asText()).isEqualTo(nodeName);
    // System.bind_license(server href, id): the management server
    String mgt = py.get("/elements/mgt_server").json().get("result").get(0).get("href").asText();
    assertThat(py.post("/system/license_bind", "{\"component_href\":\"" + mgt + "\",\"license_item_id\":\"" + m
        + "\",\"node2\":false}").status()).isEqualTo(200);
    assertThat(licence(m).get("bound_to").asText()).isEqualTo(py.getUrl(mgt).json().get("name").asText());
    // a second engine, the class's free engine licence bound: a dynamic one
    String engine2 = EnginesTest.createSingleFw(py, name + "-2");
    JsonNode node2 = py.getUrl(engine2).json().get("nodes").get(0).get("firewall_node");
    assertThat(py.postUrl(node2.get("link").get(0).get("href").asText() + "/bind", "{}").status()).isEqualTo(200);
    assertThat(unlicensed()).doesNotContain(node2.get("name").asText());
    // the engine deleted: its licence is free again, and can go
    assertThat(py.delete(engine, py.getUrl(engine).header("ETag")).status()).isIn(200, 204);
    assertThat(licence(a).get("binding_state").asText()).isEqualTo("unassigned");
    assertThat(py.put(py.v("/system/delete_license?license_id=" + a), "{}", null).status()).isEqualTo(200);
    assertThat(py.get("/system/licenses").json().get("license")).noneMatch(l -> l.get("license_id").asText().equals(a));
    assertThat(py.put(py.v("/system/delete_license?license_id=" + a), "{}", null).status()).isEqualTo(400);
  }

  private static int freeEngineLicences() throws Exception {
    int n = 0;
    for (JsonNode l : py.get("/system/licenses").json().get("license")) {
      n += l.get("type").asText().equals("SECNODE") && l.get("binding_state").asText().equals("unassigned") ? 1 : 0;
    }
    return n;
  }

  private static Response offer(String json) throws Exception {
    return py.postUrl(server.url() + "/herald/admin/licenses", json);
  }

  @Test
  void licenceFetch_andCheckForNew_fromTheStandInLicenceServer() throws Exception {
    onItsOwnServer(this::licenceFetch);
  }

  private void licenceFetch() throws Exception {
    String tag = Long.toString(System.nanoTime() % 1_000_000);
    String pos = "POS-" + tag;
    String a = "LIC-F1-" + tag;
    String b = "LIC-F2-" + tag;
    // nothing offered for a proof of serial: 400, nothing installed
    int before = py.get("/system/licenses").json().get("license").size();
    assertThat(py.get("/system/license_fetch?proofofserial=" + pos).status()).isEqualTo(400);
    Response offered = offer("[{\"license_id\":\"" + a + "\",\"type\":\"SECNODE\",\"proof_of_serial\":\"" + pos + "\"},"
        + "{\"license_id\":\"" + b + "\",\"type\":\"SECNODE\",\"proof_of_serial\":\"other-" + pos + "\"}]");
    assertThat(offered.status()).as(offered.body()).isEqualTo(201);
    assertThat(offer("{\"license_id\":\"" + a + "\",\"type\":\"SECNODE\",\"proof_of_serial\":\"" + pos + "\"}").status())
        .as("offered already").isEqualTo(400);
    assertThat(offer("{\"license_id\":\"x-" + tag + "\",\"type\":\"SECNODE\"}").status()).as("no proof of serial").isEqualTo(400);
    assertThat(py.get("/system/licenses").json().get("license")).hasSize(before);
    // System.license_fetch(pos): GET ?proofofserial=
    Response fetched = py.get("/system/license_fetch?proofofserial=" + pos);
    assertThat(fetched.status()).as(fetched.body()).isEqualTo(200);
    assertThat(fetched.json().get("license")).hasSize(1);
    assertThat(fetched.json().get("license").get(0).get("license_id").asText()).isEqualTo(a);
    assertThat(licence(a).get("binding_state").asText()).isEqualTo("unassigned");
    assertThat(py.get("/system/license_fetch?proofofserial=" + pos).status()).as("installed already").isEqualTo(400);
    // System.license_check_for_new(): a task that installs what is new
    JsonNode done = SystemTest.poll(py, py.get("/system/license_check_for_new").json());
    assertThat(done.get("success").asBoolean()).as(done.toString()).isTrue();
    assertThat(done.get("last_message").asText()).contains("1 new licence");
    assertThat(licence(b).get("type").asText()).isEqualTo("SECNODE");
    assertThat(SystemTest.poll(py, py.get("/system/license_check_for_new").json()).get("last_message").asText())
        .contains("No new licence");
  }

  /**
   * Runs {@code body} against a server of its own (it binds every node, or installs every offered
   * licence: the class's other tests keep their free licences whatever the order).
   */
  private void onItsOwnServer(ThrowingRunnable body) throws Exception {
    TestServer shared = server;
    SmcClient sharedPy = py;
    try (TestServer own = TestServer.start(backend, b -> b.adminApi(true))) {
      server = own;
      py = SmcClient.loggedIn(own);
      body.run();
    } finally {
      server = shared;
      py = sharedPy;
    }
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void massiveLicenseBind_licensesEveryUnlicensedNode() throws Exception {
    onItsOwnServer(this::massiveLicenseBind);
  }

  private void massiveLicenseBind() throws Exception {
    String tag = Long.toString(System.nanoTime() % 1_000_000);
    String lic = "LIC-MB-" + tag;
    assertThat(install("{\"license_id\":\"" + lic + "\",\"type\":\"SECNODE\"}").status()).isEqualTo(200);
    String e1 = EnginesTest.createSingleFw(py, "mlb-1-" + tag);
    String e2 = EnginesTest.createSingleFw(py, "mlb-2-" + tag);
    List<String> names = new ArrayList<>();
    for (String e : List.of(e1, e2)) {
      names.add(py.getUrl(e).json().get("nodes").get(0).get("firewall_node").get("name").asText());
    }
    assertThat(unlicensed()).containsAll(names);
    int waiting = unlicensed().size();
    int free = freeEngineLicences();
    // System.massive_license_bind(): POST, make_request(...).get("value")
    Response bound = py.post("/system/massive_license_bind", "{}");
    assertThat(bound.status()).isEqualTo(200);
    assertThat(bound.json().get("value").asInt()).isEqualTo(waiting);
    assertThat(unlicensed()).isEmpty();
    // the free engine licences went to them first, the others got dynamic ones
    assertThat(freeEngineLicences()).isEqualTo(Math.max(0, free - waiting));
    assertThat(py.post("/system/massive_license_bind", "{}").json().get("value").asInt()).isZero();
  }
}

package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.server.SmcClient.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An engine's antispoofing tree as smc-python edits it (the requests of a run of the real
 * smc-python 1.0.31 against Herald: engine.antispoofing.get(0), Antispoofing.add(Network),
 * Antispoofing.remove): a PUT of the interface's node with one more entry, or one fewer; the
 * generated entries stay; the added element is the engine's reference; bad entries refused.
 */
class AntispoofingTest {
  @RegisterExtension
  static final SmcServer SMC = SmcServer.start(b -> b);

  /** engine.antispoofing.get(0): the tree, its interface node with nic_id 0. */
  private static JsonNode interface0(String engine) throws Exception {
    JsonNode tree = SMC.py().getUrl(engine + "/antispoofing").json();
    for (JsonNode itf : tree.get("antispoofing_node")) {
      if (itf.get("nic_id").asText().equals("0")) {
        return itf;
      }
    }
    throw new AssertionError("no interface 0 in " + tree);
  }

  private static String self(JsonNode node) {
    return node.get("link").get(0).get("href").asText();
  }

  /** Antispoofing.add: the node's list with the entry smc-python appends. */
  private static String withEntry(JsonNode node, String href, String name, String validity) {
    ObjectNode copy = node.deepCopy();
    ((ArrayNode) copy.get("antispoofing_node")).addObject().putArray("antispoofing_node");
    ObjectNode added = (ObjectNode) copy.get("antispoofing_node").get(copy.get("antispoofing_node").size() - 1);
    added.put("auto_generated", "false").put("href", href).put("level", "interface").put("validity", validity).put("name", name);
    return copy.toString();
  }

  @Test
  void anInterfacesNode_takesAndLosesEntries_asSmcPythonAddsAndRemovesThem() throws Exception {
    String engine = EnginesTest.createSingleFw(SMC.py(), SMC.unique("spoof"));
    String netName = SMC.unique("foonet");
    String net = SMC.py().create("network", "{\"name\":\"" + netName + "\",\"ipv4_network\":\"10.9.0.0/16\"}");
    JsonNode if0 = interface0(engine);
    assertThat(if0.get("antispoofing_node")).hasSize(1);
    Response read = SMC.py().getUrl(self(if0));
    try (WsClient ws = WsClient.open(SMC.py())) {
      ws.subscribe("{\"context\":\"single_fw\"}");
      Response put = SMC.py().put(self(if0), withEntry(read.json(), net, netName, "enable"), read.header("ETag"));
      assertThat(put.status()).as(put.body()).isEqualTo(200);
      assertThat(ws.next()).contains("\"update\"").contains(engine);
    }
    JsonNode now = interface0(engine).get("antispoofing_node");
    assertThat(now).hasSize(2);
    assertThat(now.get(0).get("auto_generated").asText()).isEqualTo("true");
    assertThat(now.get(1).get("name").asText()).isEqualTo(netName);
    assertThat(now.get(1).get("href").asText()).isEqualTo(net);
    assertThat(now.get(1).get("auto_generated").asText()).isEqualTo("false");
    assertThat(now.get(1).get("related_element_type").asText()).isEqualTo("network");
    Response refused = SMC.py().delete(net, null);
    assertThat(refused.status()).as("the engine refers to it").isEqualTo(400);
    assertThat(refused.body()).contains("single_fw");
    // a stale ETag
    assertThat(SMC.py().put(self(if0), read.body(), read.header("ETag")).status()).isEqualTo(412);
    // Antispoofing.remove: the list without it (the generated entry stays whatever is sent)
    ObjectNode removed = SMC.py().getUrl(self(if0)).json().deepCopy();
    removed.putArray("antispoofing_node");
    assertThat(SMC.py().put(self(if0), removed.toString(), null).status()).isEqualTo(200);
    assertThat(interface0(engine).get("antispoofing_node")).hasSize(1);
    assertThat(SMC.py().delete(net, null).status()).isEqualTo(204);
  }

  @Test
  void badEntries_areRefused_andChangeNothing() throws Exception {
    String engine = EnginesTest.createSingleFw(SMC.py(), SMC.unique("bad"));
    JsonNode if0 = interface0(engine);
    String service = SMC.py().create("tcp_service", "{\"name\":\"" + SMC.unique("svc") + "\",\"min_dst_port\":22}");
    String net = SMC.py().create("network", "{\"name\":\"" + SMC.unique("n") + "\",\"ipv4_network\":\"10.8.0.0/16\"}");
    assertThat(SMC.py().put(self(if0), withEntry(if0, service, "svc", "enable"), null).status()).as("not a network element").isEqualTo(400);
    assertThat(SMC.py().put(self(if0), withEntry(if0, net, "n", "sometimes"), null).status()).as("validity").isEqualTo(400);
    assertThat(SMC.py().put(self(if0), withEntry(if0, SMC.server().url() + "/7.2/elements/network/999999", "x", "enable"), null).status())
        .as("missing").isEqualTo(400);
    assertThat(SMC.py().put(self(if0), "{\"name\":\"x\"}", null).status()).as("no list").isEqualTo(400);
    JsonNode network = if0.get("antispoofing_node").get(0);
    assertThat(SMC.py().put(self(network), withEntry(network, net, "n", "enable"), null).status()).as("a network's node").isEqualTo(400);
    assertThat(interface0(engine).get("antispoofing_node")).hasSize(1);
    assertThat(SMC.py().delete(service, null).status()).isEqualTo(204);
    assertThat(SMC.py().delete(net, null).status()).isEqualTo(204);
    assertThat(SMC.py().getUrl(engine + "/antispoofing/999").status()).isEqualTo(404);
  }
}

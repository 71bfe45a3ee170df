package dev.herald.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.server.element.Catalogue;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The catalogue's "implemented" marks and the link handlers agree, both ways. */
class LinkHandlersTest {
  private final Set<String> handled = handlers();

  /** The handlers as the server assembles them: the element resource's, and what others register. */
  private static Set<String> handlers() {
    ElementResource elements = new ElementResource(null, null);
    new SystemResource(null, elements, null, null, null, null, null);
    new AdminResource(null, elements);
    new RuleResource(null, elements, null, null, new EngineResource(null, elements, null, null));
    new VpnResource(elements, null, null, new SubElementResource(elements, null, null), null);
    java.util.Set<String> out = new java.util.TreeSet<>(elements.handledRels());
    if (elements.handlesRules()) {
      for (Catalogue.Type t : Catalogue.types().values()) {
        out.addAll(t.rules().keySet()); // rule collections: one handler answers them all
      }
    }
    return out;
  }

  @Test
  void everyLinkTheCatalogueCallsImplemented_hasAHandler() {
    Set<String> missing = new TreeSet<>();
    for (Catalogue.Type t : Catalogue.types().values()) {
      for (Catalogue.Link l : t.links()) {
        if (l.implemented() && !handled.contains(l.rel())) {
          missing.add(t.name() + "/" + l.rel());
        }
      }
    }
    assertThat(missing).as("links marked implemented in tools/catalogue/overlay.json without a handler").isEmpty();
  }

  @Test
  void everyHandler_servesALinkTheCatalogueMarksImplemented() {
    // a rel can mean another thing on another type (a VPN's GET validate is a report, a policy's
    // POST validate an action), so a handler need not serve every link of its name: but one at least
    Set<String> used = new TreeSet<>();
    for (Catalogue.Type t : Catalogue.types().values()) {
      for (Catalogue.Link l : t.links()) {
        if (l.implemented()) {
          used.add(l.rel());
        }
      }
    }
    Set<String> idle = new TreeSet<>(handled);
    idle.removeAll(used);
    idle.removeAll(Set.of("trash", "untrash")); // every element's own, not in the catalogue's lists
    assertThat(idle).as("handlers no catalogue link reaches").isEmpty();
  }

  @Test
  void everyImplementedNodeCommand_saysWhatItDoes() {
    Set<String> answeredByTheResource = Set.of("status", "appliance_status", "initial_contact", "sginfo", "diagnostic",
        "send_diagnostic");
    Set<String> missing = new TreeSet<>();
    for (Catalogue.Type t : Catalogue.types().values()) {
      t.engine().ifPresent(e -> e.nodeLinks().stream()
          .filter(l -> l.implemented() && !answeredByTheResource.contains(l.rel()) && !e.nodeCommands().has(l.rel()))
          .forEach(l -> missing.add(t.name() + "/" + l.rel())));
    }
    assertThat(missing).as("node links marked implemented without a node_commands row in the overlay").isEmpty();
  }
}

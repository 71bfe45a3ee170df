package dev.herald.server.notify;

import dev.herald.server.element.ElementService;
import dev.herald.server.session.Session;
import java.util.Optional;
import java.util.Set;

/** What a socket's session may see: its domains, and the monitored elements it names. */
final class Visibility {
  private final ElementService elements;
  /** Until the server names them: nothing is monitored. */
  private volatile Notifications.StatusTargets targets = new Notifications.StatusTargets() {
    @Override
    public Set<String> types() {
      return Set.of();
    }

    @Override
    public Optional<Target> target(Session session, String href) {
      return Optional.empty();
    }

    @Override
    public String render(dev.herald.server.store.Change change, String base, String of) {
      return "{}";
    }
  };

  Visibility(ElementService elements) {
    this.elements = elements;
  }

  void statusTargets(Notifications.StatusTargets t) {
    targets = t;
  }

  /** The domains whose changes the session receives. */
  Set<Long> domains(Session s) {
    return elements.visibleDomains(s.caller());
  }

  /** The monitored types (status subscriptions by context). */
  Set<String> monitoredTypes() {
    return targets.types();
  }

  /** The monitored element (and part) an href names, if the session may see it. */
  Optional<Notifications.StatusTargets.Target> monitored(Session s, String href) {
    return targets.target(s, href);
  }
}

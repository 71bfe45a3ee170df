package dev.herald.server.element;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.task.Tasks;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * System snapshots: after a dynamic update package is activated SMC takes a snapshot of all its
 * system elements (smc-python's {@code SystemSnapshotTask}, the scheduled task
 * {@code create_system_snapshot_task}); {@code System.system_snapshots} lists them and a
 * snapshot's {@code content} link downloads it. Which activations take one is catalogue data
 * (the package kind's {@code snapshot}). Herald's snapshot is a zip in its export format holding
 * every system element as it is at that moment; each snapshot records the activated package's
 * {@code package_id} (the Terraform provider's system_snapshot). The newest {@link #KEPT} are
 * kept (SMC's {@code delete_old_snapshots_task} prunes them there), a locked one besides.
 */
public final class SystemSnapshots {
  public static final String TYPE = "system_snapshot";
  private static final String CONTENT = "content";
  static final int KEPT = 10;
  /** The largest snapshot kept (base64 in an element resource: the column holds 1,000,000). */
  static final int MAX_CONTENT_CHARS = 950_000;
  private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  private final ElementService elements;
  private final Transfer transfer;
  private final InstantSource clock;

  public SystemSnapshots(ElementService elements, InstantSource clock) {
    this.elements = elements;
    this.transfer = new Transfer(elements);
    this.clock = clock;
  }

  /** The snapshots, newest first. */
  public List<ElementRecord> list(Caller caller) {
    return elements.search(caller, Set.of(TYPE), Optional.empty(), false, false, Integer.MAX_VALUE).stream()
        .sorted(Comparator.comparingLong(ElementRecord::key).reversed()).toList();
  }

  /**
   * After {@code pkg} (of {@code type}) was activated: the snapshot its kind takes, if it takes
   * one.
   */
  public Optional<ElementRecord> afterActivation(Caller caller, String type, long pkg, Tasks.Context ctx) throws Exception {
    Optional<String> kind = Catalogue.type(type).pkg().flatMap(Catalogue.Package::snapshot);
    if (kind.isEmpty() || !kind.get().equals(TYPE)) {
      return Optional.empty();
    }
    ElementRecord p = elements.get(caller, type, pkg);
    ctx.progress(80, "Taking a system snapshot.");
    List<ElementRecord> system = new java.util.ArrayList<>();
    for (long domain : elements.visibleDomains(caller)) {
      system.addAll(elements.store().systemElements(domain)); // the built-ins, not every element
    }
    byte[] zip = transfer.export(system, ctx);
    String content = Base64.getEncoder().encodeToString(zip);
    if (content.length() > MAX_CONTENT_CHARS) {
      throw new Tasks.Failed("The package is active; its system snapshot (" + zip.length / 1024
          + " KiB) is larger than Herald keeps, so none was taken.");
    }
    Instant now = clock.instant();
    ObjectNode body = Json.object();
    String identity = Catalogue.type(type).pkg().orElseThrow().identity();
    body.put("name", p.name() + " " + WHEN.format(now));
    body.set("package_id", ElementService.parse(p.body()).path(identity).deepCopy());
    ElementRecord snap = elements.create(caller, TYPE, body, Map.of(CONTENT, content));
    List<ElementRecord> all = list(caller);
    for (ElementRecord old : all.subList(Math.min(KEPT, all.size()), all.size())) {
      try {
        elements.delete(caller, TYPE, old.key(), Optional.empty());
      } catch (HeraldException lockedOrGone) {
        // best effort: a locked snapshot stays, one another activation pruned meanwhile is gone
      }
    }
    return Optional.of(snap);
  }

  /** A snapshot's content: the zip. */
  public byte[] content(Caller caller, long key) {
    ElementRecord r = elements.get(caller, TYPE, key);
    String b64 = elements.store().resource(r.key(), CONTENT).orElseThrow(() -> HeraldException.notFound(
        "No content for " + r.name() + ".", "Only the snapshots an activation took have one."));
    return Base64.getDecoder().decode(b64);
  }
}

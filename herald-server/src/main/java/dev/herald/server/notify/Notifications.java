package dev.herald.server.notify;

import dev.herald.protocol.CloseCode;
import dev.herald.server.ServerConfig;
import dev.herald.server.element.ElementService;
import dev.herald.server.http.ApiVersions;
import dev.herald.server.session.Session;
import dev.herald.server.session.Sessions;
import dev.herald.server.store.Change;
import dev.herald.server.store.ChangeLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;

/**
 * The notification machinery as the rest of the server sees it, for both socket kinds (the
 * notification socket and the status socket). It wires four parts, each with one job:
 * <ul>
 *   <li>{@link ChangeFeed}: the thread that follows the change log in seq order;
 *   <li>{@link Notifier}: the subscription index, registration (ack before any event), the
 *       resume decision, replays, fan-out and progress marks;
 *   <li>{@link SocketRegistry}: the upgrade and the open sockets by session, their limits,
 *       heartbeats and closes;
 *   <li>per socket, a {@link Connection} (commands in) with its {@link Outbox} (frames out).
 * </ul>
 * A {@link Subscription} is what the wire calls one: the server's answer to one subscribe.
 */
public final class Notifications {
  /** Changes kept in memory for resumes (about 16 MB at most). */
  private static final int RECENT = 65_536;

  private final ServerConfig.Socket cfg;
  private final Visibility visibility;
  private final Notifier notifier;
  private final SocketRegistry registry;
  private final ChangeFeed feed;
  private final Counter resets;

  public Notifications(Server jetty, ChangeLog log, Sessions sessions, ElementService elements,
      ServerConfig.Socket cfg, long retentionCount, Duration retentionAge, InstantSource clock,
      MeterRegistry metrics) {
    this.cfg = cfg;
    this.visibility = new Visibility(elements);
    RecentChanges recent = new RecentChanges(RECENT, retentionCount, retentionAge.toMillis(), clock);
    this.notifier = new Notifier(log, recent, visibility, cfg.concurrentReplays(), clock, metrics);
    this.registry = new SocketRegistry(jetty, sessions, cfg, clock, metrics);
    this.feed = new ChangeFeed(log, notifier, now -> {
      notifier.progressMarks(now);
      registry.housekeeping(now, notifier.position());
    }, clock);
    this.resets = Counter.builder("herald.resets")
        .description("resets and snapshot loads (each closed every socket)").register(metrics);
    Gauge.builder("herald.notify.subscriptions", notifier, Notifier::size).register(metrics);
  }

  /** Starts the feed at the current head: sockets get changes committed from now on. */
  public void start() {
    feed.start();
  }

  public void stop() throws InterruptedException {
    feed.stop();
    registry.stop();
  }

  /**
   * The state was replaced (a reset or a snapshot load) and the log now starts after
   * {@code head}: changes read before are not published, the changes held in memory are
   * forgotten, and every socket is closed with {@link CloseCode#RESET} (a client that resumes
   * from its old position gets {@code history_expired}).
   *
   * @return the number of sockets closed
   */
  public int reset(long head) {
    int[] closed = {0};
    notifier.reset(head, () -> closed[0] = registry.closeAll(CloseCode.RESET));
    resets.increment();
    return closed[0];
  }

  /**
   * Closes the sockets whose session {@code which} accepts with a code and reason (fault
   * injection).
   *
   * @return the number closed
   */
  public int closeSockets(Predicate<Session> which, int code, String reason) {
    return registry.close(which, code, reason);
  }

  /** Told every command a client sends on a socket (the journal). */
  public void onCommand(BiConsumer<Session, String> observer) {
    registry.onCommand(observer);
  }

  /** Holds the feed until {@code untilMs} (fault injection): nothing is lost, only late. */
  public void stallFeed(long untilMs) {
    feed.stall(untilMs);
  }

  /**
   * What the status socket serves: the monitored types (the {@code *} context and families),
   * the element and part an {@code {"element": href}} subscription names (empty when it is not
   * monitored or the session may not see it), and how a status change is shown — the status, as
   * REST answers it, of the element ({@code of} "element"), of the part the change names (a node,
   * a tunnel: "part") or of something within that part ("part:SUB": an endpoint tunnel of a
   * tunnel).
   */
  public interface StatusTargets {
    Set<String> types();

    Optional<Target> target(Session session, String href);

    String render(Change change, String base, String of);

    /**
     * An element ({@code type}, {@code key}), one of its parts (null: the element), and what
     * within that part a subscriber watches (null: the part itself).
     */
    record Target(String type, long key, String part, String within) {}
  }

  public void statusTargets(StatusTargets targets) {
    visibility.statusTargets(targets);
    notifier.statusView(targets::render);
  }

  /** Open sockets on this node. */
  public long openSockets() {
    return registry.openSockets();
  }

  /** Wakes the feed to read the log now (a commit on another node). */
  public void wakeUp() {
    feed.wake(notifier.position() + 1);
  }

  /**
   * A local commit wrote these changes (seq order). A virtual thread publishes them from memory
   * when they come alone and are the next ones ({@link Notifier#publishIfNext}); else, or while
   * the feed is stalled, the feed reads them from the log. Not on the committing thread itself:
   * its writer would wait for the fan-out (with 1,000 subscribers, a create answered in 14 ms
   * instead of 3); not only through the feed: waking it and reading the log back put a paced
   * fan-out's p99 at 1.9–2.2× the raw baseline's instead of 1.5–1.8× (docs/benchmarks.md).
   */
  public void committed(List<Change> changes) {
    if (changes.isEmpty()) {
      return;
    }
    long last = changes.get(changes.size() - 1).seq();
    if (!notifier.isQuiet()) {
      feed.wake(last); // a stream: the feed publishes it in pages, no thread per commit
      return;
    }
    Thread.ofVirtual().name("herald-publish").start(() -> {
      boolean published = false;
      try {
        published = !feed.isStalled() && notifier.publishIfNext(changes);
      } finally {
        if (!published) {
          feed.wake(last); // the feed reads them from the log, also when publishing failed
        }
      }
    });
  }

  /** The highest seq handed to the subscriptions. */
  public long position() {
    return notifier.position();
  }

  /** Readiness: the feed runs and is not behind the log (as of its last read). */
  public boolean isCaughtUp() {
    return feed.isCaughtUp();
  }

  /** The {@link dev.herald.server.http.SocketEndpoint} of the HTTP layer. */
  public boolean upgrade(Request request, Response response, Callback callback, Session session,
      String version, String base, boolean statusSocket) {
    return registry.upgrade(request, response, callback, session, ApiVersions.legacyEvents(version),
        base, statusSocket, (s, b, legacy, status) -> new Connection(registry, notifier, visibility,
            s, b, legacy, cfg.maxFrameBytes(), cfg.maxChannelsPerConnection(), cfg.outboxMessages(),
            cfg.outboxBytes(), status));
  }
}

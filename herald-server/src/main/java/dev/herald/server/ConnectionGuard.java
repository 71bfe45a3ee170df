package dev.herald.server;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What keeps one client from taking the server's connections (slowloris and friends):
 *
 * <ul>
 *   <li>a request's line and headers must arrive within {@code headerTimeout}: a connection that
 *       sends a byte now and then keeps no descriptor longer than that (the idle timeout alone
 *       never fires on it);
 *   <li>at most {@code maxConnectionsPerAddress} connections from one address (the excess is
 *       closed at once);
 *   <li>at most {@code maxConnections} in all, by default the process's descriptor limit less a
 *       reserve, so the server stops accepting before it runs out of descriptors: what is
 *       established (sockets, the database, its files) keeps working.
 * </ul>
 * A request body slower than {@code minRequestDataRate} is cut off by Jetty itself.
 */
final class ConnectionGuard extends AbstractLifeCycle implements Connection.Listener {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);
  /** Descriptors kept free for the database, files, logs and new health checks. */
  static final int RESERVE = 512;

  private final ServerConnector connector;
  private final ServerConfig.Limits limits;
  private final Map<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();
  private final Map<Connection, InetAddress> addressOf = new ConcurrentHashMap<>();
  /** Connections seen mid-headers: since when, and at which request count. */
  private final Map<EndPoint, long[]> partial = new ConcurrentHashMap<>();
  private ScheduledExecutorService sweeper;

  private ConnectionGuard(ServerConnector connector, ServerConfig.Limits limits) {
    this.connector = connector;
    this.limits = limits;
  }

  static void install(ServerConnector connector, ServerConfig.Limits limits) {
    ConnectionGuard g = new ConnectionGuard(connector, limits);
    connector.addEventListener(g);
    connector.addBean(g);
    int max = limits.maxConnections() > 0 ? limits.maxConnections() : descriptorBudget();
    if (max > 0) {
      connector.getServer().addBean(new NetworkConnectionLimit(max, connector));
    }
  }

  /** The process's descriptor limit less the reserve; 0 when unknown. */
  static int descriptorBudget() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean u) {
      long fds = u.getMaxFileDescriptorCount();
      return (int) Math.max(64, Math.min(Integer.MAX_VALUE, fds - RESERVE));
    }
    return 0;
  }

  @Override
  protected void doStart() {
    sweeper = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("herald-header-deadline").daemon(true).factory());
    long period = Math.max(100, Math.min(1000, limits.headerTimeout().toMillis() / 4));
    sweeper.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
  }

  @Override
  protected void doStop() {
    sweeper.shutdownNow();
  }

  @Override
  public void onOpened(Connection connection) {
    InetAddress a = address(connection.getEndPoint());
    if (a == null || limits.maxConnectionsPerAddress() <= 0) {
      return;
    }
    addressOf.put(connection, a);
    int n = perAddress.computeIfAbsent(a, k -> new AtomicInteger()).incrementAndGet();
    if (n > limits.maxConnectionsPerAddress()) {
      LOG.debug("connection from {} closed: {} open, the limit is {}", a, n, limits.maxConnectionsPerAddress());
      connection.getEndPoint().close();
    }
  }

  @Override
  public void onClosed(Connection connection) {
    partial.remove(connection.getEndPoint());
    InetAddress a = addressOf.remove(connection); // a closed socket no longer tells its peer
    if (a == null) {
      return;
    }
    AtomicInteger n = perAddress.get(a);
    if (n != null && n.decrementAndGet() <= 0) {
      perAddress.remove(a, n);
    }
  }

  private static InetAddress address(EndPoint ep) {
    SocketAddress s = ep.getRemoteSocketAddress();
    return s instanceof InetSocketAddress i ? i.getAddress() : null;
  }

  /** Closes connections that have been reading one request's headers for too long. */
  private void sweep() {
    long now = System.nanoTime();
    long deadline = limits.headerTimeout().toNanos();
    try {
      for (EndPoint ep : connector.getConnectedEndPoints()) {
        if (!(ep.getConnection() instanceof HttpConnection hc)) {
          partial.remove(ep); // upgraded to a WebSocket: no longer reading headers
          continue;
        }
        HttpParser p = hc.getParser();
        if (p.inHeaderState() && !p.isStart()) {
          long[] seen = partial.computeIfAbsent(ep, k -> new long[] {now, hc.getMessagesIn()});
          if (seen[1] != hc.getMessagesIn()) {
            seen[0] = now;
            seen[1] = hc.getMessagesIn();
          } else if (now - seen[0] > deadline) {
            LOG.debug("connection from {} closed: no complete request headers in {}",
                ep.getRemoteSocketAddress(), limits.headerTimeout());
            partial.remove(ep);
            ep.close();
          }
        } else {
          partial.remove(ep);
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("header deadline sweep failed: {}", e.toString());
    }
  }
}

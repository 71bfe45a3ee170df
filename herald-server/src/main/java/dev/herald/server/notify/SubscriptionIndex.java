package dev.herald.server.notify;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Channels by domain, then by RelName (plus the channels that take every type). Read by the feed
 * thread without locks (arrays are replaced, never mutated); changed under {@code this}.
 */
final class SubscriptionIndex {
  private static final Subscription[] NONE = new Subscription[0];

  private static final class DomainIndex {
    volatile Subscription[] all = NONE;
    final Map<String, Subscription[]> byType = new ConcurrentHashMap<>();
  }

  private final Map<Long, DomainIndex> domains = new ConcurrentHashMap<>();
  private int size;

  synchronized void add(Subscription ch, Iterable<Long> visibleDomains) {
    for (long d : visibleDomains) {
      DomainIndex di = domains.computeIfAbsent(d, k -> new DomainIndex());
      if (ch.all) {
        di.all = plus(di.all, ch);
      } else {
        for (String t : ch.types) {
          di.byType.put(t, plus(di.byType.getOrDefault(t, NONE), ch));
        }
      }
    }
    size++;
  }

  synchronized void remove(Subscription ch, Iterable<Long> visibleDomains) {
    for (long d : visibleDomains) {
      DomainIndex di = domains.get(d);
      if (di == null) {
        continue;
      }
      if (ch.all) {
        di.all = minus(di.all, ch);
      } else {
        for (String t : ch.types) {
          Subscription[] next = minus(di.byType.getOrDefault(t, NONE), ch);
          if (next.length == 0) {
            di.byType.remove(t);
          } else {
            di.byType.put(t, next);
          }
        }
      }
    }
    size--;
  }

  /** Channels that take every type in {@code domain}. */
  Subscription[] all(long domain) {
    DomainIndex di = domains.get(domain);
    return di == null ? NONE : di.all;
  }

  /** Channels listening to {@code type} in {@code domain}. */
  Subscription[] byType(long domain, String type) {
    DomainIndex di = domains.get(domain);
    return di == null ? NONE : di.byType.getOrDefault(type, NONE);
  }

  synchronized int size() {
    return size;
  }

  private static Subscription[] plus(Subscription[] a, Subscription c) {
    Subscription[] n = Arrays.copyOf(a, a.length + 1);
    n[a.length] = c;
    return n;
  }

  private static Subscription[] minus(Subscription[] a, Subscription c) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] == c) {
        Subscription[] n = new Subscription[a.length - 1];
        System.arraycopy(a, 0, n, 0, i);
        System.arraycopy(a, i + 1, n, i, a.length - i - 1);
        return n;
      }
    }
    return a;
  }
}

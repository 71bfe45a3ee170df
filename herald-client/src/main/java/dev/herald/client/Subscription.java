package dev.herald.client;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/** A live subscription; {@link #close()} ends it. */
public interface Subscription extends AutoCloseable {
  enum State { CONNECTED, RECONNECTING, CLOSED }

  /** The seq of the last change handed to the listener (or marked as passed by the server). */
  OptionalLong lastSeq();

  State state();

  @Override
  void close();

  /**
   * What to subscribe to: a context ({@code "*"}, {@code "host"}, {@code "host,router"}),
   * optionally a position to resume from and filters (Herald's extensions; ignored by SMC).
   */
  record Spec(String context, Optional<Long> since, Set<String> types, Set<String> names,
      Set<Long> keys) {
    public static Spec of(String context) {
      return new Spec(context, Optional.empty(), Set.of(), Set.of(), Set.of());
    }

    public Spec since(long seq) {
      return new Spec(context, Optional.of(seq), types, names, keys);
    }

    public Spec types(String... t) {
      return new Spec(context, since, Set.copyOf(List.of(t)), names, keys);
    }

    public Spec names(String... n) {
      return new Spec(context, since, types, Set.copyOf(List.of(n)), keys);
    }

    public Spec keys(Long... k) {
      return new Spec(context, since, types, names, Set.copyOf(List.of(k)));
    }
  }
}

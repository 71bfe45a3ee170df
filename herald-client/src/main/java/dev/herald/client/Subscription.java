package dev.herald.client;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A live subscription; {@link #close()} ends it. {@link HeraldClient#subscribe} returns one only
 * once the server acknowledged it.
 */
public interface Subscription extends AutoCloseable {
  enum State { CONNECTED, RECONNECTING, CLOSED }

  /**
   * The position a resume continues after: the seq of the last change handed to the listener,
   * or the position the server acknowledged or marked as passed; empty on a server without
   * Herald's extensions.
   */
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

    /**
     * Checks the spec without connecting.
     *
     * @throws IllegalArgumentException an unknown event type, a negative since, an empty item in
     *     the context
     */
    public void validate() {
      command();
    }

    /** The subscribe command; throws IllegalArgumentException for a bad type or position. */
    dev.herald.protocol.Command.Subscribe command() {
      var c = dev.herald.protocol.Command.Subscribe.of(context).types(types).names(names).keys(keys);
      return since.isPresent() ? c.since(since.get()) : c;
    }
  }
}

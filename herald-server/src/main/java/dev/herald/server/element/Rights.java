package dev.herald.server.element;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * What a user may do, as SMC grants it: a superuser everything, in every domain; anyone else what
 * the roles of its {@code permissions} grant, in the domains they name ({@code granted_domain_ref}),
 * and a login to Shared Domain only when {@code allowed_to_login_in_shared}.
 *
 * <p>Roles grant {@link Capability capabilities}; {@code roles.json} says which for SMC's built-in
 * roles. The granted elements of a permission (access control lists) are kept but do not narrow
 * access to single elements: a role holds in the whole domain.
 */
public record Rights(boolean superuser, Map<Long, Set<Capability>> byDomain, boolean sharedLogin) {
  public enum Capability {
    /** Read elements. */
    VIEW,
    /** Create, change, delete, trash elements (not administrators). */
    EDIT,
    /** Commands to engines, policy uploads. */
    OPERATE,
    /** Read logs (no elements). */
    VIEW_LOGS
  }

  public static final Rights SUPERUSER = new Rights(true, Map.of(), true);
  public static final Rights NONE = new Rights(false, Map.of(), false);

  public Rights {
    byDomain = Map.copyOf(byDomain);
  }

  public boolean can(Capability c, long domain) {
    return superuser || byDomain.getOrDefault(domain, EnumSet.noneOf(Capability.class)).contains(c);
  }

  /** Whether a session of this user may work in {@code domain}. */
  public boolean mayLogInto(long domain, long sharedDomain) {
    return superuser || byDomain.containsKey(domain) || (domain == sharedDomain && sharedLogin);
  }
}

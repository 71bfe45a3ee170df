package dev.herald.server.element;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * What a user may do, as SMC grants it: a superuser everything, in every domain; anyone else what
 * the roles of its {@code permissions} grant, in the domains they name ({@code granted_domain_ref}),
 * and a login to Shared Domain only when {@code allowed_to_login_in_shared}.
 *
 * <p>Roles grant {@link Capability capabilities} by their permission flags; {@code roles.json} says
 * which flag grants which. The granted elements of a permission (access control lists) are kept but do not narrow
 * access to single elements: a role holds in the whole domain.
 */
public record Rights(boolean superuser, Map<Long, Set<Capability>> byDomain, boolean sharedLogin) {
  public enum Capability {
    /** Read elements (a role's {@code element_view_content}). */
    VIEW,
    /** Create elements, import them (not administrators): {@code element_create}. */
    CREATE,
    /** Change elements and their parts (not administrators): {@code element_edit}. */
    EDIT,
    /** Delete elements, trash and restore them: {@code element_delete}. */
    DELETE,
    /** Commands to engines and their nodes: {@code send_commands}. */
    OPERATE,
    /** Policy uploads and refreshes: {@code upload_policy}, {@code refresh_policy}. */
    UPLOAD,
    /** Read logs (no elements): {@code view_logs}. */
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

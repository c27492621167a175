package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/spotter-soc/spotter/internal/server"
	"github.com/spotter-soc/spotter/internal/store"
)

// openTokenStore opens the database the server uses and its token table.
func (e *env) openTokenStore(c *cobra.Command, dbURL string) (*server.Tokens, *store.Store, error) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	if dbURL != "" {
		cfg.Database.URL = dbURL
	}
	st, err := openStore(c.Context(), cfg)
	if err != nil {
		return nil, nil, err
	}
	return server.NewTokens(st), st, nil
}

func (e *env) tokenCmd() *cobra.Command {
	var dbURL string
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens",
		Long: `API tokens authenticate calls to 'spotter serve' (Authorization: Bearer <token>).
Roles: viewer reads; analyst also submits prompts and cancels evaluations; admin also
manages tokens and reads the audit log. Only a SHA-256 hash of each token is stored.`,
	}
	cmd.PersistentFlags().StringVar(&dbURL, "database-url", "", "database URL or SQLite path; overrides database.url")

	var name, role string
	create := &cobra.Command{
		Use:   "create --name NAME --role viewer|analyst|admin",
		Short: "Create a token; the token is printed alone on the last line, once",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if name == "" {
				return usagef("--name: expected who or what uses the token")
			}
			r, err := server.ParseRole(role)
			if err != nil {
				return usagef("--role: %v", err)
			}
			tokens, st, err := e.openTokenStore(c, dbURL)
			if err != nil {
				return err
			}
			defer st.Close()
			tok, secret, err := tokens.Create(c.Context(), name, r)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Created token %s (%s, role %s). It is shown once; store it now:\n%s\n", tok.ID, tok.Name, tok.Role, secret)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "who or what uses the token")
	create.Flags().StringVar(&role, "role", "", "viewer, analyst or admin")

	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			tokens, st, err := e.openTokenStore(c, dbURL)
			if err != nil {
				return err
			}
			defer st.Close()
			all, err := tokens.List(c.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, all)
			}
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tNAME\tROLE\tCREATED\tLAST USED\tSTATE")
			for _, t := range all {
				used, state := "never", "active"
				if t.LastUsedAt != nil {
					used = t.LastUsedAt.Format("2006-01-02 15:04")
				}
				if t.RevokedAt != nil {
					state = "revoked " + t.RevokedAt.Format("2006-01-02 15:04")
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, t.CreatedAt.Format("2006-01-02 15:04"), used, state)
			}
			return w.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token by id (tok_...)",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("token revoke: expected one token id (see 'spotter token list')")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			tokens, st, err := e.openTokenStore(c, dbURL)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := tokens.Revoke(c.Context(), args[0]); err != nil {
				if errors.Is(err, server.ErrNoToken) {
					return &usageError{err}
				}
				return err
			}
			fmt.Fprintf(e.stdout, "Revoked %s.\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

package server

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/skill"
)

// SkillInfo describes a skill and whether it can run now.
type SkillInfo struct {
	skill.Spec
	Plugin     string `json:"plugin"`
	Configured bool   `json:"configured"`
}

type skillsOutput struct {
	Body struct {
		Skills []SkillInfo `json:"skills"`
	}
}

type skillsInput struct {
	Plugin string `query:"plugin" doc:"Only the skills of this plugin"`
}

type nameInput struct {
	Name string `path:"name" doc:"Skill id or alias, or plugin name"`
}

type skillOutput struct{ Body SkillInfo }

type pluginsOutput struct {
	Body struct {
		Plugins []gateway.PluginStatus `json:"plugins"`
	}
}

type pluginOutput struct{ Body gateway.PluginStatus }

func (s *Server) catalogRoutes() {
	cat := s.cfg.Catalog
	configured := func() map[string]bool {
		m := map[string]bool{}
		for _, sp := range cat.Configured() {
			m[sp.ID] = true
		}
		return m
	}
	huma.Register(s.api, operation(http.MethodGet, "/api/v1/skills", "listSkills", "List skills with their input specs", RoleViewer, false, "skills"),
		func(ctx context.Context, in *skillsInput) (*skillsOutput, error) {
			ok := configured()
			out := &skillsOutput{}
			out.Body.Skills = []SkillInfo{}
			found := in.Plugin == ""
			for _, p := range cat.Status() {
				if in.Plugin != "" && !strings.EqualFold(p.Name, in.Plugin) {
					continue
				}
				found = true
				for _, id := range p.Skills {
					sp, err := cat.Skill(id)
					if err != nil {
						continue
					}
					out.Body.Skills = append(out.Body.Skills, SkillInfo{Spec: sp, Plugin: sp.Plugin(), Configured: ok[sp.ID]})
				}
			}
			if !found {
				return nil, huma.Error404NotFound("plugin " + in.Plugin + ": no such plugin")
			}
			sort.Slice(out.Body.Skills, func(i, j int) bool { return out.Body.Skills[i].ID < out.Body.Skills[j].ID })
			return out, nil
		})
	huma.Register(s.api, operation(http.MethodGet, "/api/v1/skills/{name}", "getSkill", "Describe a skill", RoleViewer, false, "skills"),
		func(ctx context.Context, in *nameInput) (*skillOutput, error) {
			sp, err := cat.Skill(in.Name)
			if errors.Is(err, skill.ErrNotFound) {
				return nil, huma.Error404NotFound(err.Error())
			}
			if err != nil {
				return nil, apiError(err)
			}
			return &skillOutput{Body: SkillInfo{Spec: sp, Plugin: sp.Plugin(), Configured: configured()[sp.ID]}}, nil
		})
	huma.Register(s.api, operation(http.MethodGet, "/api/v1/plugins", "listPlugins", "List plugins: configured or not, settings (secrets never shown), skills", RoleViewer, false, "plugins"),
		func(ctx context.Context, _ *struct{}) (*pluginsOutput, error) {
			out := &pluginsOutput{}
			out.Body.Plugins = cat.Status()
			return out, nil
		})
	huma.Register(s.api, operation(http.MethodGet, "/api/v1/plugins/{name}", "getPlugin", "Describe a plugin", RoleViewer, false, "plugins"),
		func(ctx context.Context, in *nameInput) (*pluginOutput, error) {
			for _, p := range cat.Status() {
				if strings.EqualFold(p.Name, in.Name) {
					return &pluginOutput{Body: p}, nil
				}
			}
			return nil, huma.Error404NotFound("plugin " + in.Name + ": no such plugin")
		})
}

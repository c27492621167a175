package sentinel

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Post is a report to put on an incident as comments.
type Post struct {
	// Key identifies the run that wrote the report; comment ids are
	// derived from it, so posting with the same key rewrites the same
	// comments.
	Key string
	// Details is the report (Markdown or HTML); empty posts no details.
	Details string
	// Summary is a short summary comment; empty posts none.
	Summary string
	// HTML says Details is HTML (for the part headers).
	HTML bool
	// MaxChars is the size of one comment (MaxCommentChars when 0).
	MaxChars int
}

// PostResult says what was written.
type PostResult struct {
	// Comments are the ids written, details parts first, then the summary.
	Comments []string `json:"comments"`
	// Parts is how many comments the details took; Omitted how many parts
	// the 100-comment cap left out.
	Parts   int `json:"parts"`
	Omitted int `json:"omitted"`
	// Removed counts comments of an earlier post with the same key that
	// the report no longer needs (it got shorter).
	Removed int `json:"removed"`
}

// commenter is what posting needs from an incident's comment API.
type commenter interface {
	ListComments(ctx context.Context, incidentID string) ([]Comment, error)
	PutComment(ctx context.Context, incidentID, commentID, message string) (*Comment, error)
	DeleteComment(ctx context.Context, incidentID, commentID string) error
}

// PostReport writes p on the incident as comments whose ids derive from
// p.Key: the details, split into numbered parts when longer than one
// comment, then the summary. Comments other than Spotter's count against
// Sentinel's 100-comment cap, which is never exceeded.
func (c *Client) PostReport(ctx context.Context, incidentID string, p Post) (*PostResult, error) {
	return postReport(ctx, c, incidentID, p)
}

func postReport(ctx context.Context, c commenter, incidentID string, p Post) (*PostResult, error) {
	if strings.TrimSpace(p.Key) == "" {
		return nil, errors.New("key: empty; expected the run's id or another stable key")
	}
	if strings.TrimSpace(p.Details) == "" && strings.TrimSpace(p.Summary) == "" {
		return nil, errors.New("report and summary: both empty; nothing to post")
	}
	maxChars := p.MaxChars
	if maxChars <= 0 || maxChars > MaxCommentChars {
		maxChars = MaxCommentChars
	}
	ours := map[string]int{} // our possible ids -> part number (0 for the summary)
	for i := 1; i <= MaxComments; i++ {
		ours[CommentID(p.Key, "details/"+strconv.Itoa(i))] = i
	}
	summaryID := CommentID(p.Key, "summary")
	ours[summaryID] = 0
	existing, err := c.ListComments(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	foreign, have := 0, map[string]bool{}
	for _, cm := range existing {
		if _, ok := ours[strings.ToLower(cm.Name)]; ok {
			have[strings.ToLower(cm.Name)] = true
		} else {
			foreign++
		}
	}
	room := MaxComments - foreign
	if p.Summary != "" {
		room--
	}
	res := &PostResult{}
	if room < 0 || (room == 0 && p.Details != "") {
		return nil, fmt.Errorf("incident %s already has %d comments: Sentinel allows %d per incident, so the report cannot be posted", incidentID, foreign, MaxComments)
	}
	var parts []string
	if strings.TrimSpace(p.Details) != "" {
		parts, res.Omitted = Split(p.Details, p.HTML, maxChars, room)
	}
	// Parts of an earlier post with the same key that this one does not
	// rewrite are removed first, so a re-run leaves exactly the report it
	// writes and the incident never holds more than the cap meanwhile.
	for id := range have {
		part := ours[id]
		stale := (part > len(parts)) || (part == 0 && strings.TrimSpace(p.Summary) == "")
		if !stale {
			continue
		}
		if err := c.DeleteComment(ctx, incidentID, id); err != nil {
			return res, fmt.Errorf("removing an outdated part: %w", err)
		}
		res.Removed++
	}
	for i, text := range parts {
		id := CommentID(p.Key, "details/"+strconv.Itoa(i+1))
		if _, err := c.PutComment(ctx, incidentID, id, text); err != nil {
			return res, fmt.Errorf("posting part %d of %d: %w", i+1, len(parts), err)
		}
		res.Comments = append(res.Comments, id)
	}
	res.Parts = len(parts)
	if strings.TrimSpace(p.Summary) != "" {
		text := p.Summary
		if n := textLen(text); n > maxChars {
			return res, fmt.Errorf("summary: %d characters; expected at most %d", n, maxChars)
		}
		if _, err := c.PutComment(ctx, incidentID, summaryID, text); err != nil {
			return res, fmt.Errorf("posting the summary: %w", err)
		}
		res.Comments = append(res.Comments, summaryID)
	}
	return res, nil
}

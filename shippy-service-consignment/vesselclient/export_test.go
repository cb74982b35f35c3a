package vesselclient

// QueuedBooks returns how many Books wait for the next BookBatch.
func (c *Client) QueuedBooks() int { return c.books.Queued() }

package jetstream

// AckedLen returns how many acknowledged sequences c remembers.
func AckedLen(c *Collector) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.acked)
}

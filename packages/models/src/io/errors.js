// One error type for every checkpoint problem, so callers can catch it and read which file and
// which tensor were at fault without parsing the message.
export class CheckpointError extends Error {
    file;
    tensor;
    constructor(message, location = {}, options) {
        const parts = [];
        if (location.file !== undefined)
            parts.push(location.file);
        if (location.tensor !== undefined)
            parts.push(`tensor "${location.tensor}"`);
        super(parts.length > 0 ? `${parts.join(', ')}: ${message}` : message, options);
        this.name = 'CheckpointError';
        this.file = location.file;
        this.tensor = location.tensor;
    }
}
/** The message of anything thrown, for wrapping lower-level errors. */
export function describeError(error) {
    if (error instanceof Error)
        return error.message;
    return String(error);
}

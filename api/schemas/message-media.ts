import { z } from 'zod';
import { Id } from './common';

export const MessageMediaParams = z.object({
  id: Id.describe("The message's id (`in:wamid...`) or its WhatsApp message id (`wamid...`)"),
});

export const SignedMediaParams = MessageMediaParams.extend({ orgId: Id });

export const SignedMediaQuery = z.object({
  expires: z.coerce.number().int().positive().describe('Unix time the URL stops working'),
  signature: z.string().min(1).max(100),
});

/** A file answered as it is, with its own content type. */
export const MediaFileBody = z.string().describe('The file, with its content type');
